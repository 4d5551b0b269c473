"""Ending awards and passing their places on (递补).

An upheld objection revokes; a withdrawn claim voids. Either way the unpaid awards end
through the award state machine, their live payout lines are marked 作废 (on a list that is
already at the bank too), each source they belong to (and every matching source that
follows it) is rerun for the batches already allocated so the next in line gets the place,
and the worker and the heirs are told, all in one transaction with the programme row
locked first, like an allocation run.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from applications.models import Application
from applications.progress import ProgressAction, ProgressStep, application_progress_record
from quotas.audit import AuditAction
from quotas.models import Program
from quotas.services import audit_log_write

from ..award_workflow import AwardAction, award_transition
from ..models import Award, AwardStatus, PayoutLine, PayoutLineStatus
from ..payout.services import payout_lines_void
from . import engine, explain
from .services import AwardMoves, _allocate_sources, _follows, sources_in_order

ENDED_NOTES = {AwardAction.REVOKE: _("已撤销：%(reason)s"), AwardAction.VOID: _("已作废：%(reason)s")}


def award_revoke(*, award: Award, actor: AbstractBaseUser | None, reason: str) -> Award | None:
    """Revoke one award and the matching awards that follow it (the union takes the money
    back) and pass the place on. Returns the promoted award of the same source, if any."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写撤销原因。"))
    with transaction.atomic():
        program = Program.objects.select_for_update(no_key=True).get(pk=award.source.program_id)
        locked = Award.objects.select_for_update(of=("self",)).select_related("source", "batch").get(pk=award.pk)
        if locked.status in (AwardStatus.REVOKED, AwardStatus.VOID):
            return None
        if locked.status == AwardStatus.PAID:
            raise ValidationError(_("补助已发放，不能撤销。"))
        followers = [s for s in sources_in_order(program) if _follows(s, locked.source)][1:]
        ended = [
            locked,
            *Award.objects.select_for_update(of=("self",))
            .select_related("source", "batch")
            .filter(application_id=locked.application_id, source__in=followers)
            .live()
            .exclude(status=AwardStatus.PAID),
        ]
        promoted = _end_and_pass_on(
            program=program, awards=ended, action=AwardAction.REVOKE, actor=actor, reason=reason
        )
        return next((a for a in promoted if a.source_id == locked.source_id), None)


def application_awards_end(
    *, application: Application, action: str, actor: AbstractBaseUser | None, reason: str
) -> list[Award]:
    """The claim ended (``AwardAction.VOID``: withdrawn; ``REVOKE``: revoked): every unpaid
    award of it ends and its places pass on. Paid money stays paid (a withdrawal after
    payment is refused before it gets here). Returns the awards promoted to the heirs."""
    with transaction.atomic():
        program = Program.objects.select_for_update(no_key=True).get(pk=application.program_id)
        awards = list(
            Award.objects.select_for_update(of=("self",))
            .select_related("source", "batch")
            .filter(application_id=application.pk)
            .live()
            .exclude(status=AwardStatus.PAID)
            .order_by("source__position", "id")
        )
        if not awards:
            return []
        return _end_and_pass_on(program=program, awards=awards, action=action, actor=actor, reason=reason)


def _end_and_pass_on(
    *, program: Program, awards: list[Award], action: str, actor: AbstractBaseUser | None, reason: str
) -> list[Award]:
    note = (ENDED_NOTES[action] % {"reason": reason})[: explain.MAX_LEN]
    award_transition(awards=awards, action=action, actor=actor, reason=reason, explanation=note)
    lines = list(PayoutLine.objects.select_for_update().filter(award__in=awards, status=PayoutLineStatus.PENDING))
    payout_lines_void(lines=lines, reason=note, actor=actor)
    sources = [s for s in sources_in_order(program) if any(_follows(s, a.source) for a in awards)]
    live = Award.objects.filter(source__in=sources).live()
    before = set(live.values_list("pk", flat=True))
    numbers = [n for n in live.values_list("batch__number", flat=True) if n is not None]
    numbers += [a.batch.number for a in awards if a.batch is not None]
    scope = engine.Scope(program_id=program.pk, max_batch=max(numbers) if numbers else None)
    engine.tune_session()
    moves = AwardMoves()
    _allocate_sources(program=program, sources=sources, scope=scope, run=None, on_progress=None, moves=moves)
    ended_step = ProgressStep(
        application_id=awards[0].application_id,
        action=ProgressAction.AWARD_ENDED,
        label=(_("补助已撤销：%(items)s") if action == AwardAction.REVOKE else _("已拟发的补助已作废：%(items)s"))
        % {"items": "、".join(f"{a.source.name}{a.amount_yuan}元" for a in awards)},
        reason=reason,
    )
    application_progress_record(steps=[ended_step, *moves.steps()])  # the heirs learn of the money
    promoted = list(live.exclude(pk__in=before).order_by("application__submitted_at", "application_id"))
    audit_log_write(
        actor=actor,
        action=AuditAction.AWARD_RELEASE,
        obj=awards[0].application,
        detail={
            "ended": [a.pk for a in awards],
            "to": action,
            "lines_voided": [line.pk for line in lines],
            "promoted": [a.pk for a in promoted],
            "reason": reason,
        },
    )
    return promoted
