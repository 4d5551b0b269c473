"""Writes of the payout stage: build a list, build a reissue list, ask for an export.

Lists are frozen at build: each line copies the worker's name, encrypted numbers, bank and
unit at that moment, so exporting twice gives the same lines and the file matches what the
bank was sent. The source row is locked while a list is built, so two clicks cannot put
one award on two lists (the partial unique index on ``PayoutLine.award`` backs this up).
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.payment_accounts import payment_account_of
from quotas.audit import AuditAction
from quotas.jobs import JOB_ACTIVE, JobStatus, job_stale_message
from quotas.models import Batch, CoFunder, FundingSource, PayerRule, PaymentChannel, Program, Union
from quotas.permissions import may_build_payout_lists, may_export_payout_list, may_reissue_payout_list
from quotas.selectors import cofunder_staff_of, union_admin_of
from quotas.services import audit_log_write

from ..award_workflow import AwardAction, award_transition
from ..labels import batch_label
from ..models import Award, AwardStatus, PayoutExport, PayoutLine, PayoutLineStatus, PayoutList
from ..publicity.selectors import payout_blockers
from .selectors import awards_payable, payer_of


def payout_list_title(
    *,
    program: Program,
    source: FundingSource,
    batch: Batch | None,
    payer: str,
    reissue: bool,
    channel: PaymentChannel | None = None,
) -> str:
    """As the lists union staff already use: 2024年济南市一线职工求学圆梦行动补助发放名单（市级补助·第一批）;
    a wallet list names its channel (…（市总工会补助·齐鲁工惠APP 我的钱包·第一批）)."""
    parts = [source.name]
    if source.payer_rule in (PayerRule.APPLICANT_COUNTY, PayerRule.APPLICANT_COFUNDER):
        parts.append(payer)
    if channel is not None:
        parts.append(channel.name)
    parts.append(batch_label(batch))
    if reissue:
        parts.append(_("补发"))
    return _("%(program)s补助发放名单（%(parts)s）") % {"program": program.name, "parts": "·".join(parts)}


def payout_line_for_award(*, award: Award, payout_list: PayoutList, sequence: int) -> PayoutLine:
    """An unsaved line copying the worker's name and numbers as they are now; callers bulk-insert."""
    worker = award.application.worker
    # The account of the list's channel: the card, or the wallet account (kept in the same
    # columns, so the bank return, the reissue and the masks work for every channel).
    account = payment_account_of(worker=worker, program=payout_list.program)
    return PayoutLine(
        payout_list=payout_list,
        award=award,
        sequence=sequence,
        name=worker.name,
        id_number_encrypted=worker.id_number_encrypted,
        id_number_masked=worker.id_number_masked,
        bank_name=account.bank_name,
        bank_card_encrypted=account.encrypted,
        bank_card_hmac=account.hmac,
        bank_card_masked=account.masked,
        amount_yuan=award.amount_yuan,
        unit_name=worker.employer,
    )


def payout_list_build(
    *,
    program: Program,
    source: FundingSource,
    batch: Batch | None,
    payer_union: Union | None = None,
    payer_cofunder: CoFunder | None = None,
    channel: PaymentChannel | None = None,
    actor: AbstractBaseUser | None,
) -> PayoutList:
    """One list of one source × paying union (or university) × channel × batch, of every
    published award not yet on a list (``channel`` None: the bank cards). Refused while the batch's publicity runs or an objection is
    open. ``actor=None`` is the system (``manage.py payout_lists_build``)."""
    if actor is not None:
        # A fixed payer (a township's top-up) is the list's payer: its own staff may build it.
        paying = payer_union or (source.payer_union if source.payer_rule == PayerRule.FIXED else None)
        may_build_payout_lists(user=actor, program=program, payer_union=paying, payer_cofunder=payer_cofunder).require()
    if source.program_id != program.pk or (batch is not None and batch.program_id != program.pk):
        raise ValidationError(_("补助来源、批次与项目不一致。"))
    if source.payer_rule == PayerRule.APPLICANT_COUNTY and payer_union is None:
        raise ValidationError(_("配套补助由职工所在县区总工会发放，请选择发放工会。"))
    if source.payer_rule == PayerRule.APPLICANT_COFUNDER and (
        payer_cofunder is None or payer_cofunder.program_id != program.pk
    ):
        raise ValidationError(_("高校补助由职工就读的高校发放，请选择本方案的发放高校。"))
    blockers = payout_blockers(program=program, batch=batch, now=timezone.now())
    if blockers:
        raise ValidationError(blockers)
    payer, payer_name = payer_of(source=source, payer_union=payer_union, payer_cofunder=payer_cofunder)
    if source.payer_rule != PayerRule.APPLICANT_COFUNDER:
        payer_cofunder = None
    with transaction.atomic():
        # Programme first, as every writer of awards takes it (allocation, withdrawal,
        # revocation): a withdrawal then either finishes before this read (its award is
        # void and skipped) or waits for this list and voids the line it finds. Without it a
        # withdrawal landing between this read and the commit leaves its award on the list
        # (and the list's foreign-key check at COMMIT deadlocks with the withdrawal).
        Program.objects.select_for_update(no_key=True).get(pk=program.pk)
        FundingSource.objects.select_for_update().get(pk=source.pk)
        awards = list(
            awards_payable(
                program=program,
                source=source,
                batch=batch,
                payer_union=payer,
                payer_cofunder=payer_cofunder,
                channel=channel,
            )
            .select_related("application__worker", "application__worker__payment_channel")
            .order_by("rank", "application__submitted_at", "id")
        )
        if not awards:
            raise ValidationError(_("没有待发放的补助：名单已生成，或尚无公示期满的补助。"))
        payout_list = PayoutList.objects.create(
            program=program,
            source=source,
            batch=batch,
            payer_union=payer,
            payer_cofunder=payer_cofunder,
            payer_name=payer_name,
            channel=channel,
            title=payout_list_title(
                program=program, source=source, batch=batch, payer=payer_name, reissue=False, channel=channel
            ),
            created_by=actor if actor is not None and actor.is_authenticated else None,
            row_count=len(awards),
            total_yuan=sum(a.amount_yuan for a in awards),
        )
        PayoutLine.objects.bulk_create(
            payout_line_for_award(award=a, payout_list=payout_list, sequence=i) for i, a in enumerate(awards, start=1)
        )
        audit_log_write(
            actor=actor,
            action="payout_list.build",
            obj=payout_list,
            detail={"rows": payout_list.row_count, "total_yuan": payout_list.total_yuan},
        )
    return payout_list


def _own_topup_sources(*, actor: AbstractBaseUser | None, program: Program) -> list[FundingSource]:
    """The top-ups a lower union's own manager or finance pays (and only those), when the
    actor is not on the owner's side: a township builds its own lists, never the city's."""
    admin = union_admin_of(actor) if actor is not None else None
    if admin is None or program.owner_union.path.startswith(admin.union.path):
        return []  # the shell, a university, or the owner's side (which builds everything)
    return list(program.sources.filter(scope_union=admin.union, payer_union=admin.union))


def payout_lists_build_for_batch(
    *, program: Program, batch: Batch | None, actor: AbstractBaseUser | None
) -> list[PayoutList]:
    """Every list a batch needs: each source once, matching sources once per paying county,
    a university's money once per university. A university's manager or finance builds its
    own university's lists only (the owner side builds all)."""
    own_topups = _own_topup_sources(actor=actor, program=program)
    if actor is not None and not own_topups:
        may_build_payout_lists(user=actor, program=program).require()
    # A university's staff (no union): only the lists its university pays.
    own_cofunder = cofunder_staff_of(actor) if actor is not None and union_admin_of(actor) is None else None
    built: list[PayoutList] = []
    sources = own_topups if own_topups else list(program.sources.all())
    # One list per channel as well: each goes to its own payer in its own columns.
    channels: list[PaymentChannel | None] = [None, *program.payment_channels.all()]
    for source in sources:
        cofunders: list[CoFunder | None] = [None]
        if source.payer_rule == PayerRule.APPLICANT_COUNTY:
            payer_ids = (
                Award.objects.filter(source=source, batch=batch, status=AwardStatus.PUBLISHED)
                .exclude(payer_union=None)
                .values("payer_union")
            )
            payers = list(Union.objects.filter(pk__in=payer_ids).order_by("path"))
        elif source.payer_rule == PayerRule.APPLICANT_COFUNDER:
            payers = [None]
            cofunders = list(CoFunder.objects.filter(program=program).order_by("name"))
        else:
            payers = [None]
        if own_cofunder is not None:
            if source.payer_rule != PayerRule.APPLICANT_COFUNDER:
                continue
            cofunders = [c for c in cofunders if c is not None and c.pk == own_cofunder.cofunder_id]
        for payer in payers:
            for cofunder in cofunders:
                for channel in channels:
                    if not awards_payable(
                        program=program,
                        source=source,
                        batch=batch,
                        payer_union=payer,
                        payer_cofunder=cofunder,
                        channel=channel,
                    ).exists():
                        continue
                    built.append(
                        payout_list_build(
                            program=program,
                            source=source,
                            batch=batch,
                            payer_union=payer,
                            payer_cofunder=cofunder,
                            channel=channel,
                            actor=actor,
                        )
                    )
    if not built:
        raise ValidationError(_("没有待发放的补助：名单已生成，或尚无公示期满的补助。"))
    return built


def payout_reissue_build(*, payout_list: PayoutList, actor: AbstractBaseUser | None) -> list[PayoutList]:
    """New lists of this list's failed lines whose worker has since changed the account the
    money goes to: one list per channel the workers now choose (a bank card that failed and
    a 齐鲁工惠 wallet chosen since go on a wallet list of the same payer), each line with the
    worker's current account. A worker who has changed nothing waits."""
    if actor is not None:
        may_reissue_payout_list(user=actor, payout_list=payout_list).require()
    with transaction.atomic():
        # Programme first (see payout_list_build): a withdrawal cannot void an award between
        # this read and the reissue's commit.
        Program.objects.select_for_update(no_key=True).get(pk=payout_list.program_id)
        original = PayoutList.objects.select_for_update().get(pk=payout_list.pk)
        FundingSource.objects.select_for_update().get(pk=original.source_id)
        live = PayoutLine.objects.filter(award=OuterRef("award")).exclude(
            status__in=[PayoutLineStatus.FAILED, PayoutLineStatus.VOID]
        )
        failed = list(
            PayoutLine.objects.filter(payout_list=original, status=PayoutLineStatus.FAILED)
            .exclude(Exists(live))
            .select_related("award__application__worker__payment_channel")
            .order_by("sequence")
        )
        program = original.program
        # Changed since the failure: the account the money would go to now (card or wallet).
        accounts = {
            line.pk: payment_account_of(worker=line.award.application.worker, program=program) for line in failed
        }
        by_channel: dict[int | None, list[PayoutLine]] = {}
        for line in failed:
            if accounts[line.pk].hmac != line.bank_card_hmac and line.award.status == AwardStatus.FAILED:
                by_channel.setdefault(accounts[line.pk].channel_id, []).append(line)
        if not by_channel:
            raise ValidationError(_("没有可补发的明细：发放失败的职工尚未更新收款账户（银行卡或电子账户）。"))
        channels = {c.pk: c for c in PaymentChannel.objects.filter(pk__in=[k for k in by_channel if k is not None])}
        reissues = []
        for channel_id, ready in sorted(by_channel.items(), key=lambda kv: (kv[0] is not None, kv[0] or 0)):
            channel = channels.get(channel_id)
            reissue = PayoutList.objects.create(
                program_id=original.program_id,
                source_id=original.source_id,
                batch_id=original.batch_id,
                payer_union_id=original.payer_union_id,
                payer_cofunder_id=original.payer_cofunder_id,
                payer_name=original.payer_name,
                channel=channel,
                reissue_of=original,
                title=payout_list_title(
                    program=original.program,
                    source=original.source,
                    batch=original.batch,
                    payer=original.payer_name,
                    reissue=True,
                    channel=channel,
                ),
                created_by=actor if actor is not None and actor.is_authenticated else None,
                row_count=len(ready),
                total_yuan=sum(line.award.amount_yuan for line in ready),
            )
            PayoutLine.objects.bulk_create(
                payout_line_for_award(award=line.award, payout_list=reissue, sequence=i)
                for i, line in enumerate(ready, start=1)
            )
            # "Being paid again": the worker sees the money is on its way.
            award_transition(
                awards=[line.award for line in ready],
                action=AwardAction.REISSUE,
                actor=actor,
                detail={"list": reissue.pk},
            )
            audit_log_write(
                actor=actor,
                action="payout_list.reissue",
                obj=reissue,
                detail={
                    "reissue_of": original.pk,
                    "rows": reissue.row_count,
                    "channel": channel.name if channel else "银行卡",
                    "waiting": len(failed) - sum(len(v) for v in by_channel.values()),
                },
            )
            reissues.append(reissue)
    return reissues


def payout_list_export_request(*, payout_list: PayoutList, actor: AbstractBaseUser) -> PayoutList:
    """Queue the XLSX export as a new PayoutExport job. A second click while one is queued
    or running changes nothing; a job whose worker died (stale heartbeat) is failed here
    and then, like any failed one, simply asked for again."""
    from ..tasks.payout import payout_list_export_task  # tasks import services; keep the cycle lazy

    may_export_payout_list(user=actor, payout_list=payout_list).require()

    with transaction.atomic():
        locked = PayoutList.objects.select_for_update().get(pk=payout_list.pk)
        current = locked.exports.select_for_update().filter(status__in=JOB_ACTIVE).first()
        if current is not None and not current.is_stale():
            return locked
        if current is not None:
            PayoutExport.objects.filter(pk=current.pk).update(
                status=JobStatus.FAILED, message=job_stale_message(now=timezone.now()), finished_at=timezone.now()
            )
            audit_log_write(
                actor=actor, action=AuditAction.JOB_STALE_FAIL, obj=current, detail={"job": "payouts.payoutexport"}
            )
        job = PayoutExport.objects.create(payout_list=locked, requested_by=actor)
        audit_log_write(actor=actor, action="payout_list.export_request", obj=locked, detail={"export": job.pk})
        transaction.on_commit(lambda: payout_list_export_task.delay(locked.pk, actor.pk, job.pk))
    return locked


def payout_lines_void(*, lines: list[PayoutLine], reason: str, actor: AbstractBaseUser | None) -> int:
    """Mark live lines 作废 (withdrawn or revoked claim, a change of card being checked).

    A line is never deleted: the list may already be at the bank, so it stays in its place,
    marked with the reason, on the list page, in the reconciliation and in the next export
    (with 0 yuan). The list row keeps the figures it was built with (and is not locked
    here: a bank return holds it while it locks lines); what is still to be paid is the
    sum of its live lines. Call with the lines locked.
    """
    live = [line for line in lines if line.status == PayoutLineStatus.PENDING]
    if not live:
        return 0
    now = timezone.now()
    reason = reason[: PayoutLine._meta.get_field("void_reason").max_length]
    by_list: dict[int, list[PayoutLine]] = {}
    for line in live:
        line.status, line.void_reason, line.voided_at = PayoutLineStatus.VOID, reason, now
        by_list.setdefault(line.payout_list_id, []).append(line)
    PayoutLine.objects.bulk_update(live, ["status", "void_reason", "voided_at"], batch_size=2000)
    lists = PayoutList.objects.in_bulk(list(by_list))
    for list_id, voided in by_list.items():
        audit_log_write(
            actor=actor,
            action=AuditAction.PAYOUT_LINE_VOID,
            obj=lists[list_id],
            detail={
                "sequences": [line.sequence for line in voided],
                "yuan": sum(line.amount_yuan for line in voided),
                "reason": reason,
                "exported": lists[list_id].exported_at is not None,
            },
        )
    return len(live)
