"""The one state machine of ``Award.status``, like ``applications/workflow.py`` is for
applications.

Every change of an award's status in every module goes through ``award_transition``: it
checks each (status, action) pair against ``TRANSITIONS``, writes the change in bulk and
one audit row, all in the caller's transaction. Proposals are created (and, while still
``proposed``, replaced or deleted) by the allocation's rerun; that is the award being
computed, not a change of status.

    proposed  --publish-->  published  --pay-->  paid
    published --fail-->  failed  --reissue-->  reissued  --pay/fail-->  paid / failed
    every status but paid  --revoke-->  revoked   (the union takes it back)
    every status but paid  --void-->    void      (the claim ended: withdrawn)
"""

from collections.abc import Iterable, Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from quotas.audit import AuditAction
from quotas.services import audit_log_write

from .models import Award, AwardStatus

A = AwardStatus


class AwardAction:
    PUBLISH = "publish"  # listed in publicity
    PAY = "pay"  # the bank reported it paid
    FAIL = "fail"  # the bank reported it failed (wrong card, closed account)
    REISSUE = "reissue"  # a failed award put on a reissue list with the worker's new card
    REVOKE = "revoke"  # taken back by the union (upheld objection)
    VOID = "void"  # the claim ended (withdrawn by the worker)


ACTION_LABELS = {
    AwardAction.PUBLISH: _("进入公示"),
    AwardAction.PAY: _("登记已发放"),
    AwardAction.FAIL: _("登记发放失败"),
    AwardAction.REISSUE: _("补发"),
    AwardAction.REVOKE: _("撤销"),
    AwardAction.VOID: _("作废"),
}

_UNPAID = (A.PROPOSED, A.PUBLISHED, A.FAILED, A.REISSUED)

# (from status, action) -> to status. Anything not listed is illegal; paid and the two
# ended statuses have no way out.
TRANSITIONS: dict[tuple[str, str], str] = {
    (A.PROPOSED, AwardAction.PUBLISH): A.PUBLISHED,
    (A.PUBLISHED, AwardAction.PAY): A.PAID,
    (A.REISSUED, AwardAction.PAY): A.PAID,
    (A.PUBLISHED, AwardAction.FAIL): A.FAILED,
    (A.REISSUED, AwardAction.FAIL): A.FAILED,
    (A.FAILED, AwardAction.REISSUE): A.REISSUED,
    **{(status, AwardAction.REVOKE): A.REVOKED for status in _UNPAID},
    **{(status, AwardAction.VOID): A.VOID for status in _UNPAID},
}

AUDIT_ACTIONS = {
    AwardAction.PUBLISH: AuditAction.AWARD_PUBLISH,
    AwardAction.PAY: AuditAction.AWARD_PAY,
    AwardAction.FAIL: AuditAction.AWARD_FAIL,
    AwardAction.REISSUE: AuditAction.AWARD_REISSUE,
    AwardAction.REVOKE: AuditAction.AWARD_REVOKE,
    AwardAction.VOID: AuditAction.AWARD_VOID,
}

# Actions whose statuses a payable list or a bank file may still hold.
UNPAID_STATUSES = _UNPAID


def award_transition_allowed(*, status: str, action: str) -> bool:
    return (status, action) in TRANSITIONS


def award_transition(
    *,
    awards: Sequence[Award],
    action: str,
    actor: AbstractBaseUser | None,
    reason: str = "",
    explanation: str | None = None,
    detail: dict | None = None,
) -> list[Award]:
    """Apply ``action`` to ``awards`` and audit it, in the caller's open transaction.

    ``awards`` are rows the caller has locked (``select_for_update``) or reads under a lock
    that serialises their writers (the list's, the source's). One illegal pair refuses the
    whole call: nothing is written. ``explanation`` replaces each award's explanation (a
    revocation says why). One audit row per call: a bank return marks thousands at once.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("award_transition needs the caller's transaction")
    awards = list(awards)
    if not awards:
        return []
    illegal = [a for a in awards if (a.status, action) not in TRANSITIONS]
    if illegal:
        first = illegal[0]
        raise ValidationError(
            _("补助（%(award)s）当前为“%(status)s”，不能%(action)s。")
            % {"award": first.pk, "status": first.get_status_display(), "action": ACTION_LABELS[action]}
        )
    from_statuses = sorted({a.status for a in awards})
    target = TRANSITIONS[(awards[0].status, action)]
    values: dict = {"status": target}
    if explanation is not None:
        values["explanation"] = explanation[: Award._meta.get_field("explanation").max_length]
    ids = [a.pk for a in awards]
    for i in range(0, len(ids), 5000):
        Award.objects.filter(pk__in=ids[i : i + 5000]).update(**values)
    for award in awards:
        for field, value in values.items():
            setattr(award, field, value)
    audit_log_write(
        actor=actor,
        action=AUDIT_ACTIONS[action],
        obj=awards[0] if len(awards) == 1 else None,
        detail={
            "awards": ids,
            "from": from_statuses,
            "to": target,
            "yuan": sum(a.amount_yuan for a in awards),
            **({"reason": reason} if reason else {}),
            **(detail or {}),
        },
    )
    return awards


def awards_unpaid(awards: Iterable[Award]) -> list[Award]:
    return [a for a in awards if a.status in UNPAID_STATUSES]
