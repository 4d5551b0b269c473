"""Bank return (回盘) import: each line of a list is reported paid or failed.

The file is the exported list (XLSX) or a CSV with at least: 序号, 身份证号码 or 银行卡号,
and a result column (发放结果/状态: 成功/失败) with the bank's reason. A line is matched by
its sequence *and* every card or ID number given, so a shifted or foreign file is refused. All or
nothing: one bad row and nothing is written.
"""

import unicodedata
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationStatus
from applications.progress import ProgressAction, ProgressStep, application_progress_record
from applications.workflow import Action, application_transition
from qiuxue.tables.reading import TableReadError, table_rows
from quotas.permissions import may_record_bank_return
from quotas.services import audit_log_write

from ..award_workflow import AwardAction, award_transition
from ..models import (
    AWARD_ENDED_STATUSES,
    Award,
    AwardStatus,
    PayoutLine,
    PayoutLineStatus,
    PayoutList,
    PayoutListStatus,
)
from .bulk_decrypt import BulkDecryptor

PAID_WORDS = {"成功", "已发放", "发放成功", "已到账", "paid", "success", "ok"}
FAILED_WORDS = {"失败", "发放失败", "退回", "退票", "failed", "fail"}
MAX_RETURN_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ReturnRow:
    row: int
    sequence: int
    id_number: str
    card: str
    paid: bool
    message: str


SIGN_OFF_START = "制表人"


def _norm(value) -> str:
    # NFKC: a bank file with full-width digits (or full-width spaces) matches our ASCII numbers.
    return "" if value is None else unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "").upper()


def _read_table(*, name: str, content: bytes) -> list[list]:
    try:
        return table_rows(name=name if name.lower().endswith(".csv") else "return.xlsx", content=content)
    except TableReadError as exc:
        raise ValidationError(str(exc)) from None


def _find(headers: list[str], *needles: str) -> int | None:
    for i, h in enumerate(headers):
        if any(n in h for n in needles):
            return i
    return None


def bank_return_parse(*, name: str, content: bytes) -> list[ReturnRow]:
    if len(content) > MAX_RETURN_BYTES:
        raise ValidationError(_("文件过大。"))
    table = _read_table(name=name, content=content)
    header_at = next((i for i, r in enumerate(table) if any(_norm(c) == "序号" for c in r)), None)
    if header_at is None:
        raise ValidationError(_("未找到表头：文件中需有“序号”列。"))
    headers = [_norm(c) for c in table[header_at]]
    seq_col = headers.index("序号")
    id_col = _find(headers, "身份证")
    card_col = _find(headers, "卡号", "账号")
    result_col = _find(headers, "结果", "状态")
    message_col = _find(headers, "原因", "反馈", "备注", "说明")
    if result_col is None or (id_col is None and card_col is None):
        raise ValidationError(_("回盘文件需有“序号”“身份证号码”或“银行卡号”以及“发放结果”列。"))
    rows: list[ReturnRow] = []
    errors: list[str] = []
    for offset, raw in enumerate(table[header_at + 1 :], start=header_at + 2):
        cells = [*raw, *[None] * (len(headers) - len(raw))]
        if any(_norm(c).startswith(SIGN_OFF_START) for c in cells):
            break  # our lists end with the sign-off line (制表人…): nothing below it is data
        seq_text = _norm(cells[seq_col])
        result = _norm(cells[result_col]).lower()
        if not seq_text or seq_text in ("合计", "总计"):
            continue
        if not seq_text.isdigit():
            errors.append(_("第%(row)d行：序号“%(v)s”不是数字。") % {"row": offset, "v": seq_text})
            continue
        if not result:
            continue  # the bank has not reported this line yet
        if result not in PAID_WORDS and result not in FAILED_WORDS:
            errors.append(_("第%(row)d行：无法识别的发放结果“%(v)s”。") % {"row": offset, "v": result})
            continue
        rows.append(
            ReturnRow(
                row=offset,
                sequence=int(seq_text),
                id_number=_norm(cells[id_col]) if id_col is not None else "",
                card=_norm(cells[card_col]) if card_col is not None else "",
                paid=result in PAID_WORDS,
                message=str(cells[message_col] or "").strip()[:300] if message_col is not None else "",
            )
        )
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(_("回盘文件中没有发放结果。"))
    return rows


def bank_return_import(
    *, payout_list: PayoutList, name: str, content: bytes, actor: AbstractBaseUser | None
) -> dict[str, int]:
    """Apply a bank return to a list. Paid lines pay their award (and close the application
    once all its awards are paid); failed lines send the worker back to fix the card.
    ``actor=None`` is the system (``manage.py bank_return_import``)."""
    if actor is not None:
        may_record_bank_return(user=actor, payout_list=payout_list).require()
    rows = bank_return_parse(name=name, content=content)
    now = timezone.now()
    with transaction.atomic():
        locked = PayoutList.objects.select_for_update().get(pk=payout_list.pk)
        wallet = locked.channel  # None: bank cards
        lines = {
            line.sequence: line
            for line in PayoutLine.objects.select_for_update()
            .filter(payout_list=locked)
            .select_related("award__application")
        }
        errors: list[str] = []
        changes: list[tuple[PayoutLine, ReturnRow]] = []
        void_failed = 0  # void lines the bank did not pay, as it should
        decrypt = BulkDecryptor().decrypt  # hundreds of thousands of lines: see bulk_decrypt
        for r in rows:
            line = lines.get(r.sequence)
            if line is None:
                errors.append(_("第%(row)d行：名单中没有序号 %(seq)d。") % {"row": r.row, "seq": r.sequence})
                continue
            # Every number the bank returns must be the one we sent: a card or ID that
            # differs means a shifted or foreign file.
            card_ok = not r.card or r.card == _norm(decrypt(line.bank_card_encrypted))
            id_ok = not r.id_number or r.id_number == _norm(decrypt(line.id_number_encrypted))
            matches = (r.card or r.id_number) and card_ok and id_ok
            if not matches:
                errors.append(
                    _("第%(row)d行：序号 %(seq)d 的卡号/身份证号与名单不符。") % {"row": r.row, "seq": r.sequence}
                )
                continue
            if line.status == PayoutLineStatus.VOID:
                if not r.paid:
                    void_failed += 1
                    continue
                # Money went to a claim that had ended: staff must recover it; nothing of
                # this file is recorded until the bank and the list agree.
                errors.append(
                    _("第%(row)d行：序号 %(seq)d 已作废（%(reason)s），银行却回盘为发放成功，请与银行核实并追回。")
                    % {"row": r.row, "seq": r.sequence, "reason": line.void_reason}
                )
                continue
            target = PayoutLineStatus.PAID if r.paid else PayoutLineStatus.FAILED
            if line.status == target:
                continue  # the same return imported twice changes nothing
            if line.status != PayoutLineStatus.PENDING:
                errors.append(
                    _("第%(row)d行：序号 %(seq)d 已登记为“%(status)s”，不能改为另一结果。")
                    % {"row": r.row, "seq": r.sequence, "status": line.get_status_display()}
                )
                continue
            changes.append((line, r))
        if errors:
            raise ValidationError(errors)
        # Set-based writes: a return file can hold the whole list (hundreds of thousands of
        # lines); only the per-application close-out below goes through the state machine.
        paid_apps: dict[int, Application] = {}
        steps: list[ProgressStep] = []  # each line on its worker's timeline, with a message
        money = {"source": locked.source.name}
        for line, r in changes:
            line.status = PayoutLineStatus.PAID if r.paid else PayoutLineStatus.FAILED
            line.bank_message = r.message
            line.returned_at = now
            application = line.award.application
            money["amount"] = line.amount_yuan
            if r.paid:
                paid_apps[application.pk] = application
                steps.append(
                    ProgressStep(
                        application_id=application.pk,
                        action=ProgressAction.PAYMENT_PAID,
                        label=_("%(source)s %(amount)d元已发放") % money,
                        reason=_("已转入本人银行卡，请留意银行到账信息。")
                        if wallet is None
                        else _("已转入本人%(channel)s，请留意到账信息。") % {"channel": wallet.name},
                        detail={"payout_list": locked.pk},
                    )
                )
                continue
            steps.append(
                ProgressStep(
                    application_id=application.pk,
                    action=ProgressAction.PAYMENT_FAILED,
                    label=(
                        _("%(source)s %(amount)d元发放失败，请更新银行卡")
                        if wallet is None
                        else _("%(source)s %(amount)d元发放失败，请更新收款账户")
                    )
                    % money,
                    reason=(
                        _("银行反馈：%(msg)s。请在“个人信息”中更新本人银行卡，更新后将重新发放。")
                        if wallet is None
                        else _("到账机构反馈：%(msg)s。请在“收款账户”中更新账号，更新后将重新发放。")
                    )
                    % {"msg": r.message or _("无")},
                    detail={"payout_list": locked.pk},
                )
            )
        PayoutLine.objects.bulk_update(
            [line for line, _r in changes], ["status", "bank_message", "returned_at"], batch_size=2000
        )
        for paid, action in ((True, AwardAction.PAY), (False, AwardAction.FAIL)):
            award_transition(
                awards=[line.award for line, r in changes if r.paid is paid],
                action=action,
                actor=actor,
                detail={"payout_list": locked.pk},
            )
        application_progress_record(steps=steps)
        failed = sum(1 for s in steps if s.action == ProgressAction.PAYMENT_FAILED)
        counts = {"paid": len(changes) - failed, "failed": failed, "void": void_failed}
        # Applications with money still to come: a query per 5,000, not one per application.
        paid_ids, unpaid = sorted(paid_apps), set()
        for i in range(0, len(paid_ids), 5000):
            unpaid.update(
                Award.objects.filter(application_id__in=paid_ids[i : i + 5000])
                .exclude(status__in=[AwardStatus.PAID, *AWARD_ENDED_STATUSES])
                .values_list("application_id", flat=True)
            )
        for application_id in paid_ids:
            application = paid_apps[application_id]
            if application.status == ApplicationStatus.APPROVED and application_id not in unpaid:
                application_transition(
                    application=application,
                    action=Action.MARK_PAID,
                    actor=actor,
                    reason=_("补助已全部发放到本人账户"),
                    detail={"payout_list": locked.pk},
                )
        if not PayoutLine.objects.filter(payout_list=locked, status=PayoutLineStatus.PENDING).exists():
            locked.status = PayoutListStatus.CLOSED
            locked.save(update_fields=["status"])
        audit_log_write(
            actor=actor, action="payout_list.bank_return", obj=locked, detail={**counts, "file": name[:100]}
        )
    return counts
