"""The report is read once, by a task queued when the upload commits; pages read the row."""

import pytest

from applications.models import ReportReading, ReportReadingStatus
from applications.report_readings import report_reading_run
from applications.services import attachment_upload
from quotas.models import DocumentKind
from tests.applications.factories import (
    app_data,
    make_program,
    make_tree,
    make_worker,
    upload,
)
from tests.chsi_pdfs import OLD_LAYOUT, image_only_pdf, report_pdf


def _draft():
    from applications.services import application_create_draft

    tree = make_tree()
    program = make_program(tree["city"])
    worker = make_worker(tree["shop"])
    return application_create_draft(worker=worker, program=program, data=app_data(), actor=worker.user), worker


@pytest.mark.django_db
def test_upload_queues_the_reading_on_commit_and_shows_pending_until_then(django_capture_on_commit_callbacks):
    app, worker = _draft()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        att = attachment_upload(
            application=app,
            kind=DocumentKind.CHSI_REPORT,
            uploaded_file=upload("r.pdf", report_pdf()),
            actor=worker.user,
        )
    assert ReportReading.objects.get(attachment=att).status == ReportReadingStatus.PENDING
    assert len(callbacks) == 1
    callbacks[0]()  # the task, eager
    reading = ReportReading.objects.get(attachment=att)
    assert reading.status == ReportReadingStatus.READ and reading.source == "pdf_text"
    assert reading.fields["school"] == "济南职业学院" and reading.read_at is not None


@pytest.mark.django_db
def test_other_papers_are_not_read(django_capture_on_commit_callbacks):
    app, worker = _draft()
    with django_capture_on_commit_callbacks(execute=True):
        attachment_upload(
            application=app,
            kind=DocumentKind.APPLICATION_FORM,
            uploaded_file=upload("r.pdf", report_pdf()),
            actor=worker.user,
        )
    assert not ReportReading.objects.exists()


@pytest.mark.django_db
def test_the_id_number_is_stored_only_as_hmac_and_mask(django_capture_on_commit_callbacks):
    app, worker = _draft()
    with django_capture_on_commit_callbacks(execute=True):
        att = attachment_upload(
            application=app,
            kind=DocumentKind.CHSI_REPORT,
            uploaded_file=upload("r.pdf", report_pdf(layout=OLD_LAYOUT, id_number="110101199001011237")),
            actor=worker.user,
        )
    fields = ReportReading.objects.get(attachment=att).fields
    assert "id_number" not in fields and "110101199001011237" not in str(fields)
    assert fields["id_number_masked"].startswith("1101") and len(fields["id_number_hmac"]) == 64


@pytest.mark.django_db(transaction=True)
def test_a_scan_is_stored_as_such_and_a_rerun_is_idempotent():
    app, worker = _draft()
    att = attachment_upload(
        application=app,
        kind=DocumentKind.CHSI_REPORT,
        uploaded_file=upload("s.pdf", image_only_pdf()),
        actor=worker.user,
    )
    reading = ReportReading.objects.get(attachment=att)  # the eager task ran on commit
    assert reading.status == ReportReadingStatus.NO_TEXT and reading.get_status_display() == "无法自动核对（扫描件）"
    report_reading_run(attachment_id=att.pk)
    assert ReportReading.objects.filter(attachment=att).count() == 1


class _CodeLookupVerifier:
    """A stand-in for an online adapter (``CHSI_VERIFIER``): it looks the 验证码 up and says
    where its values came from. Not a mock of ours: the switch and the reading are real."""

    def verify(self, *, data: bytes, code: str):
        from applications.chsi_report import ReportReading as Read
        from applications.verifiers import VerifiedReport

        return VerifiedReport(
            reading=Read(status=ReportReadingStatus.READ, fields={"code": code}), source="test_lookup"
        )


@pytest.mark.django_db
def test_a_configured_verifier_is_asked_even_for_a_photo_the_pdf_reader_skips(
    django_capture_on_commit_callbacks, settings
):
    from tests.applications.factories import jpeg_bytes

    app, worker = _draft()
    with django_capture_on_commit_callbacks(execute=True):
        shipped = attachment_upload(
            application=app,
            kind=DocumentKind.CHSI_REPORT,
            uploaded_file=upload("r.jpg", jpeg_bytes(), "image/jpeg"),
            actor=worker.user,
        )
    # The shipped reader: a photo has no text layer, 扫描件 at once, nothing queued.
    assert ReportReading.objects.get(attachment=shipped).status == ReportReadingStatus.NO_TEXT
    settings.CHSI_VERIFIER = f"{__name__}._CodeLookupVerifier"
    with django_capture_on_commit_callbacks(execute=True):
        asked = attachment_upload(
            application=app,
            kind=DocumentKind.CHSI_REPORT,
            uploaded_file=upload("r2.jpg", jpeg_bytes(), "image/jpeg"),
            actor=worker.user,
        )
    reading = ReportReading.objects.get(attachment=asked)
    assert reading.status == ReportReadingStatus.READ and reading.source == "test_lookup"
    assert reading.fields["code"] == app.chsi_code
