"""Top-ups (多重补助): a union below the programme's owner adds its own money for its own
subtree, with the owner's consent.

Linyi: "乡镇（街道）工会、基层单位工会可在此基础上，根据自身情况投入适当资金进行补助";
Jinan: "有条件的乡镇（街道）、大企业可根据实际情况，确定配套补助名额和补助标准". The union's
manager proposes (``pending``); a manager of the owner (or above) approves or rejects it.
Only approved sources allocate (``payouts.allocation.services.sources_in_order``). Every
step is audited.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import AuditAction
from .models import FundingSource, PayerRule, Program, SourceApproval, TopUpRule, Union
from .permissions import may_decide_topup, may_propose_topup
from .services import audit_log_write


def _topup_detail(source: FundingSource) -> dict:
    return {
        "program": source.program.slug,
        "name": source.name,
        "union": source.scope_union.name,
        "amount_yuan": source.amount_yuan,
        "total_slots": source.total_slots,
        "rule": source.topup_rule,
        "base": source.matching_of.name if source.matching_of_id else None,
        "approval": source.approval,
    }


def funding_source_topup_propose(
    *,
    program: Program,
    union: Union,
    amount_yuan: int,
    rule: str,
    total_slots: int | None = None,
    base_source: FundingSource | None = None,
    name: str = "",
    actor: AbstractBaseUser | None,
) -> FundingSource:
    """A pending top-up of ``union`` for its own subtree, paid by ``union``. ``actor=None``
    is the shell (the demo loader): the source is still pending until approved."""
    if actor is not None:
        may_propose_topup(user=actor, program=program, union=union).require()
    if rule not in TopUpRule.values:
        raise ValidationError(_("请选择补助对象。"))
    if amount_yuan is None or amount_yuan <= 0:
        raise ValidationError(_("每人补助金额须大于0元。"))
    if rule == TopUpRule.FCFS and not total_slots:
        raise ValidationError(_("本单位内先到先得须填写补助名额。"))
    if total_slots is not None and total_slots <= 0:
        raise ValidationError(_("补助名额须大于0，或留空表示不限名额。"))
    if rule == TopUpRule.FUNDED_BY:
        if base_source is None or base_source.program_id != program.pk or base_source.is_topup:
            raise ValidationError(_("请选择本方案的一项补助作为前提（例如市总工会补助）。"))
    else:
        base_source = None
    name = name.strip() or _("%(union)s补助") % {"union": union.name}
    with transaction.atomic():
        Program.objects.select_for_update().get(pk=program.pk)
        if FundingSource.objects.filter(program=program, name=name).exists():
            raise ValidationError(_("本方案已有名为“%(name)s”的补助来源。") % {"name": name})
        position = (program.sources.aggregate(m=Max("position"))["m"] or 0) + 1
        source = FundingSource.objects.create(
            program=program,
            name=name,
            payer_rule=PayerRule.FIXED,
            payer_union=union,
            amount_yuan=amount_yuan,
            total_slots=total_slots,
            matching_of=base_source,
            scope_union=union,
            topup_rule=rule,
            approval=SourceApproval.PENDING,
            proposed_by=actor if actor is not None and actor.is_authenticated else None,
            position=position,
        )
        audit_log_write(actor=actor, action=AuditAction.TOPUP_PROPOSE, obj=source, detail=_topup_detail(source))
    return source


def _decide(*, source: FundingSource, actor: AbstractBaseUser | None, to: str, note: str, action: str):
    if actor is not None:
        may_decide_topup(user=actor, source=source).require()
    with transaction.atomic():
        locked = (
            FundingSource.objects.select_for_update(of=("self",))
            .select_related("program", "scope_union")
            .get(pk=source.pk)
        )
        if not locked.is_topup:
            raise ValidationError(_("只有下级工会申报的补助需要批准。"))
        if locked.approval != SourceApproval.PENDING:
            raise ValidationError(
                _("该补助已处理（%(state)s），不能重复处理。") % {"state": locked.get_approval_display()}
            )
        locked.approval = to
        locked.decided_by = actor if actor is not None and actor.is_authenticated else None
        locked.decided_at = timezone.now()
        locked.decision_note = note[:300]
        locked.save(update_fields=["approval", "decided_by", "decided_at", "decision_note"])
        audit_log_write(actor=actor, action=action, obj=locked, detail={**_topup_detail(locked), "note": note})
    return locked


def funding_source_topup_approve(
    *, source: FundingSource, actor: AbstractBaseUser | None, note: str = ""
) -> FundingSource:
    """The owner's consent: from now on the source allocates at every run."""
    return _decide(source=source, actor=actor, to=SourceApproval.APPROVED, note=note, action=AuditAction.TOPUP_APPROVE)


def funding_source_topup_reject(*, source: FundingSource, actor: AbstractBaseUser | None, note: str) -> FundingSource:
    if not note.strip():
        raise ValidationError(_("请填写不批准的理由。"))
    return _decide(source=source, actor=actor, to=SourceApproval.REJECTED, note=note, action=AuditAction.TOPUP_REJECT)
