"""The payout list file: rows decrypted line by line and streamed into the XLSX writer.

Runs in the Celery worker (``payouts.tasks.payout``). The file goes to private storage
under a server-chosen name; only the permission-checked download view hands it out.
"""

import tempfile
import uuid
from collections.abc import Callable, Iterator

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from qiuxue.tables.stream import Column, xlsx_write
from quotas.jobs import JobStatus, job_claim, job_fail, job_heartbeat
from quotas.services import audit_log_write

from ..labels import SIGN_OFF, batch_label
from ..models import PayoutExport, PayoutLine, PayoutLineStatus, PayoutList, PayoutListStatus
from .bulk_decrypt import BulkDecryptor

COLUMNS = (
    Column(_("序号"), 7, numeric=True),
    Column(_("姓名"), 10),
    Column(_("身份证号码"), 21),
    Column(_("银行卡号"), 23),
    Column(_("开户银行"), 18, repeats=True),
    Column(_("补助金额（元）"), 12, numeric=True),
    Column(_("工作单位"), 28, repeats=True),
    Column(_("项目"), 30, repeats=True),
    Column(_("批次"), 9, repeats=True),
    Column(_("备注"), 24),
)
PROGRESS_STEP_ROWS = 10_000


# A wallet's payer uploads the account id, name and amount (no bank, no ID number).
def wallet_columns(account_label: str) -> tuple[Column, ...]:
    return (
        Column(_("序号"), 7, numeric=True),
        Column(_("姓名"), 10),
        # "账号" in the header: the return import finds the column by it, as the card's.
        Column(_("收款账号（%(label)s）") % {"label": account_label}, 26),
        Column(_("补助金额（元）"), 12, numeric=True),
        Column(_("工作单位"), 28, repeats=True),
        Column(_("项目"), 30, repeats=True),
        Column(_("批次"), 9, repeats=True),
        Column(_("备注"), 24),
    )


def columns_for(payout_list: PayoutList) -> tuple[Column, ...]:
    """The bank list as always; a wallet or 数字人民币 list in its payer's columns."""
    if payout_list.channel_id is None:
        return COLUMNS
    return wallet_columns(payout_list.channel.account_label)


def payout_rows(*, payout_list: PayoutList) -> Iterator[tuple]:
    """One tuple per line in sequence order, with the full numbers decrypted (text).

    A void line keeps its place (the bank may hold an earlier file with that sequence)
    with 0 yuan and 作废 and its reason in 备注, so nobody pays it by mistake."""
    program = payout_list.program.name
    batch = batch_label(payout_list.batch)
    wallet = payout_list.channel_id is not None
    lines = (
        PayoutLine.objects.filter(payout_list=payout_list)
        .order_by("sequence")
        .values_list(
            "sequence",
            "name",
            "id_number_encrypted",
            "bank_card_encrypted",
            "bank_name",
            "amount_yuan",
            "unit_name",
            "status",
            "void_reason",
        )
    )
    decrypt = BulkDecryptor().decrypt
    for seq, name, id_enc, card_enc, bank, amount, unit, status, void_reason in lines.iterator(chunk_size=5000):
        note = ""
        if status == PayoutLineStatus.VOID:
            note = _("作废（原%(amount)d元）：%(reason)s") % {"amount": amount, "reason": void_reason}
            amount = 0
        if wallet:
            yield (seq, name, decrypt(card_enc), amount, unit, program, batch, note)
        else:
            yield (seq, name, decrypt(id_enc), decrypt(card_enc), bank, amount, unit, program, batch, note)


def payout_list_live_totals(*, payout_list: PayoutList) -> tuple[int, int]:
    """People and yuan still to be paid on the list: every line but the void ones."""
    agg = PayoutLine.objects.filter(payout_list=payout_list).aggregate(
        n=Count("id", filter=~Q(status=PayoutLineStatus.VOID)),
        total=Sum("amount_yuan", filter=~Q(status=PayoutLineStatus.VOID)),
    )
    return agg["n"], agg["total"] or 0


def payout_list_write_xlsx(*, payout_list: PayoutList, fileobj, progress: Callable[[int], None] | None = None) -> int:
    people, yuan = payout_list_live_totals(payout_list=payout_list)
    columns = columns_for(payout_list)
    amount_at = next(i for i, c in enumerate(columns) if c.header == _("补助金额（元）"))
    totals = tuple(
        _("合计") if i == 0 else _("%(n)d人") % {"n": people} if i == 1 else yuan if i == amount_at else ""
        for i in range(len(columns))
    )
    return xlsx_write(
        fileobj,
        title=payout_list.title,
        columns=columns,
        rows=payout_rows(payout_list=payout_list),
        totals=totals,
        sheet_name=_("发放名单"),
        progress=progress,
        row_count=PayoutLine.objects.filter(payout_list=payout_list).count(),
        page_header=f"{payout_list.program.name}　{batch_label(payout_list.batch)}　{payout_list.source.name}",
        signature=SIGN_OFF,
    )


def payout_list_export(*, payout_list_id: int, actor_id: int | None, export_id: int | None = None) -> PayoutList:
    """Write the file, then record it (file, status, audit) in one transaction.

    ``export_id`` is the queued PayoutExport the task was sent for; it is claimed first
    (see ``quotas.jobs.job_claim``), so a message delivered twice, or after a watchdog
    has failed the job, writes nothing. Without it (the shell command, the bench) a job row
    is made here. The lines are checked against the list's totals first: a file whose sum
    differs from the awards never goes to a bank. A rerun writes the same file from the
    same frozen lines (only the storage name differs) and the old file is deleted.
    """
    payout_list = PayoutList.objects.select_related("program", "batch", "source", "channel").get(pk=payout_list_id)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    if export_id is None:
        export_id = PayoutExport.objects.create(payout_list=payout_list, requested_by=actor, status=JobStatus.QUEUED).pk
    if not job_claim(model=PayoutExport, pk=export_id, progress=0):
        return payout_list
    with job_heartbeat(model=PayoutExport, pk=export_id) as report:
        try:
            agg = PayoutLine.objects.filter(payout_list=payout_list).aggregate(total=Sum("amount_yuan"))
            count = PayoutLine.objects.filter(payout_list=payout_list).count()
            if count != payout_list.row_count or (agg["total"] or 0) != payout_list.total_yuan:
                raise ValueError(_("名单明细与合计不符，已停止导出。"))
            step = max(1, payout_list.row_count)

            def progress(done: int) -> None:
                if done % PROGRESS_STEP_ROWS < 2000 or done == count:
                    report(done * 100 // step)

            with tempfile.TemporaryFile() as tmp:
                written = payout_list_write_xlsx(payout_list=payout_list, fileobj=tmp, progress=progress)
                tmp.seek(0)
                name = default_storage.save(f"private/payouts/{uuid.uuid4().hex}.xlsx", File(tmp))
        except Exception as exc:
            job_fail(model=PayoutExport, pk=export_id, message=str(exc)[:300])
            raise
        with transaction.atomic():
            locked = PayoutList.objects.select_for_update().get(pk=payout_list.pk)
            old = locked.file.name
            locked.file.name = name
            locked.exported_at = timezone.now()
            if locked.status == PayoutListStatus.DRAFT:
                locked.status = PayoutListStatus.EXPORTED
            locked.save(update_fields=["file", "exported_at", "status"])
            PayoutExport.objects.filter(pk=export_id).update(
                status=JobStatus.DONE, progress=100, message="", finished_at=timezone.now(), heartbeat_at=timezone.now()
            )
            audit_log_write(
                actor=actor,
                action="payout_list.export",
                obj=locked,
                detail={"rows": written, "total_yuan": locked.total_yuan, "file": name, "export": export_id},
            )
            if old and old != name:
                transaction.on_commit(lambda: default_storage.delete(old))
    return locked
