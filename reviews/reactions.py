"""What the reviews app does when a lower app announces a change: the stored risk flags
(``flag_checks``) are checked again after the commit. Registered in ``ReviewsConfig.ready``."""

from applications.announcements import (
    Announcement,
    ChecksStale,
    ProfileChangeNotice,
    Transition,
    listen,
)
from applications.models import Application, ApplicationStatus
from applications.workflow import Action
from quotas.models import Union

from .flag_checks import flag_checks_queue

# The steps that change what the checks see: the papers and facts submitted, or the
# application leaving the count of "another application" (withdrawn, revoked, lapsed).
RECHECKED_ACTIONS = {
    Action.SUBMIT,
    Action.RESUBMIT,
    Action.SUBMIT_STAGE,
    Action.WITHDRAW,
    Action.REVOKE,
    Action.LAPSE,
}
# A roster re-import changes 会员核对 only where a decision is still to come.
_OPEN = (ApplicationStatus.IN_REVIEW, ApplicationStatus.RETURNED, ApplicationStatus.STAGE_PASSED)


def checks_after_transition(step: Transition) -> None:
    if step.action in RECHECKED_ACTIONS:
        flag_checks_queue(application_ids=[step.application.pk])


def checks_after_stale(notice: ChecksStale) -> None:
    flag_checks_queue(application_ids=notice.application_ids)


def checks_after_profile_change(notice: ProfileChangeNotice) -> None:
    if notice.confirmed:
        flag_checks_queue(
            application_ids=notice.worker.applications.exclude(status=ApplicationStatus.DRAFT).values_list(
                "pk", flat=True
            )
        )


def checks_after_roster(sender, *, union: Union, **kwargs) -> None:
    # Every open application under the union: its stored 会员核对 (and, where the programme
    # requires membership, its flag) follows the new roster.
    flag_checks_queue(
        application_ids=Application.objects.in_subtree(union).filter(status__in=_OPEN).values_list("pk", flat=True)
    )


def register() -> None:
    from quotas.rosters import roster_replaced

    listen(Announcement.TRANSITION_DONE, checks_after_transition)
    listen(Announcement.CHECKS_STALE, checks_after_stale)
    listen(Announcement.PROFILE_CHANGE_DECIDED, checks_after_profile_change)
    roster_replaced.connect(checks_after_roster, dispatch_uid="reviews.checks_after_roster")
