"""The 学信网 report read once per upload: a pending row in the upload's transaction, the
reading in a Celery task queued on commit, the result stored for every page to read."""

from django.db import transaction
from django.utils import timezone

from qiuxue.crypto import hmac_index
from qiuxue.masking import mask_id_number

from .announcements import checks_stale
from .models import ApplicationStatus, Attachment, ReportReading, ReportReadingStatus
from .verifiers import report_verifier


def report_reading_queue(*, attachment: Attachment) -> ReportReading:
    """Inside the upload's transaction: the page shows 核对中 until the task has run."""
    from .tasks import report_reading_run_task

    if attachment.content_type != "application/pdf" and getattr(report_verifier(), "reads_only_pdf", False):
        # A photo of the report has no text layer: nothing to read, nothing to queue (an
        # online verifier, which checks the 验证码, would still be asked).
        return ReportReading.objects.create(
            attachment=attachment, status=ReportReadingStatus.NO_TEXT, read_at=timezone.now()
        )
    reading = ReportReading.objects.create(attachment=attachment)
    transaction.on_commit(lambda: report_reading_run_task.delay(attachment.pk))
    return reading


def _stored_fields(fields: dict[str, str]) -> dict[str, str]:
    """Personal numbers are not kept in the clear: the ID number becomes its HMAC (compared
    with the worker's) and its masked form (shown)."""
    stored = dict(fields)
    id_number = stored.pop("id_number", "")
    if id_number:
        stored["id_number_hmac"] = hmac_index(id_number)
        stored["id_number_masked"] = mask_id_number(id_number)
    return stored


def report_reading_run(*, attachment_id: int) -> ReportReading | None:
    """Read (or re-read) one attachment's report; idempotent on retry."""
    attachment = Attachment.objects.filter(pk=attachment_id).select_related("application").first()
    if attachment is None:
        return None  # the application was deleted meanwhile
    with attachment.file.open("rb") as fh:
        data = fh.read()
    verified = report_verifier().verify(data=data, code=attachment.application.chsi_code)
    reading, _created = ReportReading.objects.update_or_create(
        attachment=attachment,
        defaults={
            "status": verified.reading.status,
            "source": verified.source,
            "layout": verified.reading.layout,
            "fields": _stored_fields(verified.reading.fields),
            "read_at": timezone.now(),
        },
    )
    if attachment.application.status != ApplicationStatus.DRAFT:
        checks_stale(application_ids=[attachment.application_id])  # its 报告核对 flags
    return reading
