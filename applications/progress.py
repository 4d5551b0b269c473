"""Steps of an application that later apps take and the worker must see: the allocation
proposes money, the list goes into publicity, each funder's payment arrives or fails.

None of them changes the application's status (that stays with the state machine), so they
are written as timeline events of their own, each with its in-app message (and so its
email/SMS, through the outbox). The apps above this one (payouts) call
``application_progress_record``: this app never imports them. Rows go in bulk, in the
caller's transaction, because one allocation run or one bank return file can touch
thousands of applications.
"""

from dataclasses import dataclass, field

from .models import Application, ApplicationEvent, Notification


class ProgressAction:
    AWARD_PROPOSED = "award_proposed"
    AWARD_WITHDRAWN = "award_withdrawn"  # a rerun gave the place to an earlier submission
    AWARD_ENDED = "award_ended"  # the claim ended (withdrawn, revoked): its unpaid money is void
    PUBLICITY_LISTED = "publicity_listed"
    PUBLICITY_OVER = "publicity_over"
    PAYMENT_PAID = "payment_paid"
    PAYMENT_FAILED = "payment_failed"
    PROFILE_CHANGE_PENDING = "profile_change_pending"
    PROFILE_CHANGE_CONFIRMED = "profile_change_confirmed"
    PROFILE_CHANGE_REFUSED = "profile_change_refused"
    PROFILE_CHANGE_CANCELLED = "profile_change_cancelled"


@dataclass(frozen=True)
class ProgressStep:
    application_id: int
    action: str
    label: str  # the timeline line and the message title, e.g. "拟获补助：市总工会补助1000元"
    reason: str = ""  # the line under it, e.g. "公示期至 07-20 17:00"
    detail: dict = field(default_factory=dict)


TITLE_MAX = Notification._meta.get_field("title").max_length


def application_progress_record(*, steps: list[ProgressStep]) -> int:
    """One timeline event and one message per step, in bulk; returns how many."""
    if not steps:
        return 0
    apps = {
        row["pk"]: row
        for row in Application.objects.filter(pk__in={s.application_id for s in steps}).values(
            "pk", "number", "status", "worker__user_id"
        )
    }
    events = ApplicationEvent.objects.bulk_create(
        [
            ApplicationEvent(
                application_id=s.application_id,
                action=s.action,
                from_status=apps[s.application_id]["status"],
                to_status=apps[s.application_id]["status"],
                reason=s.reason,
                detail={"label": s.label, **s.detail},
            )
            for s in steps
        ],
        batch_size=2000,
    )
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=apps[s.application_id]["worker__user_id"],
                application_id=s.application_id,
                event=event,
                title=f"{apps[s.application_id]['number']}：{s.label}"[:TITLE_MAX],
                body=s.reason,
            )
            for s, event in zip(steps, events, strict=True)
        ],
        batch_size=2000,
    )
    return len(events)
