"""The one state machine of ``Application.status``.

Every change of status in every app goes through ``application_transition``: it locks the
row, checks the (status, action) pair against ``TRANSITIONS``, writes the change and one
``ApplicationEvent`` and the worker's in-app message in the same transaction, and queues
the email/SMS copies after commit. Each change is announced (``announcements``) before and
after it is written, in the same transaction, so the money in ``payouts`` follows it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from quotas.models import Union

from .announcements import Announcement, Transition, announce
from .models import Application, ApplicationEvent, ApplicationStatus

S = ApplicationStatus


class Action:
    SUBMIT = "submit"
    RESUBMIT = "resubmit"
    APPROVE = "approve"  # to the next tier: status stays in_review
    APPROVE_FINAL = "approve_final"  # at the top tier
    RETURN = "return"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    REVOKE = "revoke"  # award revoked in publicity (upheld objection)
    MARK_PAID = "mark_paid"
    # Programmes in stages (``stages``): a stage approved at its top tier, the next stage's
    # papers submitted, a later stage not submitted by its deadline.
    PASS_STAGE = "pass_stage"
    SUBMIT_STAGE = "submit_stage"
    LAPSE = "lapse"


ACTION_LABELS = {
    Action.SUBMIT: "提交申请",
    Action.RESUBMIT: "修改后重新提交",
    Action.APPROVE: "审核通过，报上级审核",
    Action.APPROVE_FINAL: "终审通过",
    Action.RETURN: "退回修改",
    Action.REJECT: "驳回",
    Action.WITHDRAW: "撤回申请",
    Action.REVOKE: "取消资格",
    Action.MARK_PAID: "补助已发放",
    Action.PASS_STAGE: "本阶段审核通过",
    Action.SUBMIT_STAGE: "提交下一阶段材料",
    Action.LAPSE: "逾期未申报，名额已释放",
}


def event_label(event: ApplicationEvent) -> str:
    """How a step reads on the timeline and in the history. Steps outside the state machine
    (draft created, place promoted, ...) name themselves in ``detail["label"]``."""
    return (event.detail or {}).get("label") or ACTION_LABELS.get(event.action) or _("办理进展")


# (from status, action) -> to status. Anything not listed is illegal.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, Action.SUBMIT): S.IN_REVIEW,
    (S.RETURNED, Action.RESUBMIT): S.IN_REVIEW,
    (S.IN_REVIEW, Action.APPROVE): S.IN_REVIEW,
    (S.IN_REVIEW, Action.APPROVE_FINAL): S.APPROVED,
    (S.IN_REVIEW, Action.RETURN): S.RETURNED,
    (S.IN_REVIEW, Action.REJECT): S.REJECTED,
    (S.DRAFT, Action.WITHDRAW): S.WITHDRAWN,
    (S.IN_REVIEW, Action.WITHDRAW): S.WITHDRAWN,
    (S.RETURNED, Action.WITHDRAW): S.WITHDRAWN,
    (S.APPROVED, Action.WITHDRAW): S.WITHDRAWN,
    (S.APPROVED, Action.REVOKE): S.REVOKED,
    (S.APPROVED, Action.MARK_PAID): S.PAID,
    (S.IN_REVIEW, Action.PASS_STAGE): S.STAGE_PASSED,
    (S.STAGE_PASSED, Action.SUBMIT_STAGE): S.IN_REVIEW,
    (S.STAGE_PASSED, Action.WITHDRAW): S.WITHDRAWN,
    (S.STAGE_PASSED, Action.LAPSE): S.LAPSED,
    (S.RETURNED, Action.LAPSE): S.LAPSED,  # a later stage returned and not fixed by its deadline
}


class TransitionError(Exception):
    """An illegal (status, action) pair, or a stale view of the application."""


@dataclass(frozen=True)
class TransitionResult:
    application: Application
    event: ApplicationEvent


def transition_allowed(*, status: str, action: str) -> bool:
    return (status, action) in TRANSITIONS


def application_transition(
    *,
    application: Application,
    action: str,
    actor: AbstractBaseUser | None,
    tier: Union | None = None,
    reason: str = "",
    detail: dict | None = None,
    changes: dict | None = None,
    expected_status: str | None = None,
    expected_tier_id: int | None = None,
    locked: bool = False,
    last: Callable[[Application, list[str]], None] | None = None,
) -> TransitionResult:
    """Apply ``action`` to the application under a row lock.

    ``last`` (the at-submission seat, ``seats.seat_take``): called after the event and the
    message are written, in place of the row's save: it is given the fields to write and
    writes the row itself, with what it adds, in its last statement; a lock it takes is
    held only for that statement and the commit.

    ``changes`` are extra field values to write with the status (e.g. the next tier).
    ``expected_status``/``expected_tier_id`` guard against acting on a stale page: two
    reviewers clicking at once get one decision, and the second a clear refusal.
    ``locked=True``: the caller already holds the row lock in its own open transaction
    (``select_for_update(of=("self",))``, with ``worker``) and passes that instance, so the
    row is not read again: the worker's submit is one lock, not two, at window open.
    """
    step = {
        "action": action,
        "actor": actor,
        "tier": tier,
        "reason": reason,
        "detail": detail,
        "changes": changes,
        "expected_status": expected_status,
        "expected_tier_id": expected_tier_id,
        "last": last,
    }
    if locked:
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("application_transition(locked=True) needs the caller's transaction")
        return _transition_apply(application, **step)
    with transaction.atomic():
        # Only the application row is locked (of=self); the worker comes along for the message.
        row = Application.objects.select_for_update(of=("self",)).select_related("worker").get(pk=application.pk)
        result = _transition_apply(row, **step)
    application_instance_sync(target=application, source=row)
    return result


def application_instance_sync(*, target: Application, source: Application) -> None:
    """Keep the caller's instance in step with the row a service locked and changed."""
    target.__dict__.update({k: v for k, v in source.__dict__.items() if not k.startswith("_")})


def _transition_apply(
    locked: Application,
    *,
    action: str,
    actor: AbstractBaseUser | None,
    tier: Union | None,
    reason: str,
    detail: dict | None,
    changes: dict | None,
    expected_status: str | None,
    expected_tier_id: int | None,
    last: Callable[[Application, list[str]], None] | None = None,
) -> TransitionResult:
    if expected_status is not None and locked.status != expected_status:
        raise TransitionError(
            _("申请 %(number)s 的状态已变为“%(status)s”，请刷新后再操作。")
            % {"number": locked, "status": locked.get_status_display()}
        )
    if expected_tier_id is not None and locked.current_tier_id != expected_tier_id:
        raise TransitionError(_("申请 %(number)s 已不在本级审核，请刷新后再操作。") % {"number": locked})
    target = TRANSITIONS.get((locked.status, action))
    if target is None:
        raise TransitionError(
            _("申请 %(number)s 当前为“%(status)s”，不能执行“%(action)s”。")
            % {
                "number": locked,
                "status": locked.get_status_display(),
                "action": ACTION_LABELS.get(action, action),
            }
        )
    from_status = locked.status
    step = Transition(
        application=locked, action=action, from_status=from_status, to_status=target, actor=actor, reason=reason
    )
    # The apps above may refuse (money already paid: no withdrawal) before anything is written.
    announce(Announcement.TRANSITION_CHECK, step)
    locked.status = target
    changes = dict(changes or {})
    for field, value in changes.items():
        setattr(locked, field, value)
    # The event and the message first (they need only the row's id, already locked), the
    # row's UPDATE last: whatever ``last`` locks is held for one statement and the commit.
    event = ApplicationEvent.objects.create(
        application=locked,
        actor=actor if actor is not None and actor.is_authenticated else None,
        tier=tier,
        action=action,
        from_status=from_status,
        to_status=target,
        reason=reason,
        detail=detail or {},
    )
    _notify(event)
    locked.updated_at = timezone.now()
    # Only what this step changes: a full save would rewrite all thirty-odd columns, and
    # compiling that UPDATE was a visible share of every submission's CPU.
    fields = ["status", "updated_at", *changes]
    if last is None:
        locked.save(update_fields=fields)
    else:
        last(locked, fields)
    # ... and react in this same transaction (void the awards of a withdrawn application).
    announce(Announcement.TRANSITION_DONE, step)
    return TransitionResult(application=locked, event=event)


def _notify(event: ApplicationEvent) -> None:
    # The in-app message is written in this transaction (one INSERT: it lands with the
    # event or not at all); only the email/SMS job is queued after commit.
    from . import notifications  # late: notifications imports this module

    notifications.notification_for_event_create(event=event)
