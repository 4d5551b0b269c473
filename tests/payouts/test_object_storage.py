"""Several machines on one S3-protocol bucket (moto's standalone server on loopback, started
by the test session): an attachment uploaded here is previewed by a reviewer; a payout
list exported by a Celery worker whose own disk is elsewhere is downloaded through the
permission-checked view and its bank return imported; a report built by the worker is
downloaded. Every object is private and asked for with server-side encryption."""

import io
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from applications.uploads import upload_clean
from payouts.models import PayoutExport, PayoutLineStatus, ReportExport, ReportKind
from payouts.payout.services import payout_list_build
from payouts.reports.services import report_export_request
from quotas.jobs import JobStatus
from quotas.models import AuditLog, DocumentKind

from ..reviews.conftest import add_attachment
from .conftest import publish_and_end
from .test_bank_return import _bank_return_xlsx
from .xlsx_read import data_rows, read_sheet


def _keys(s3) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=s3.bucket).get("Contents", [])]


def _encrypted(s3, key: str) -> bool:
    return s3.head_object(Bucket=s3.bucket, Key=key).get("ServerSideEncryption") == "AES256"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _wait_done(model, pk):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = model.objects.get(pk=pk)
        if job.status in (JobStatus.DONE, JobStatus.FAILED):
            return job
        time.sleep(0.2)
    raise AssertionError("job did not finish")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_round_trip_on_the_bucket(s3_storage, scenario, city_finance, city_reviewer, celery_workers, client, tmp_path):
    s3 = s3_storage
    # Upload: the cleaned copy goes to the bucket, encrypted, nothing on this disk.
    app = scenario.applications[0]
    clean = upload_clean(SimpleUploadedFile("id.png", _png(), content_type="image/png"))
    att = add_attachment(app, DocumentKind.ID_FRONT, content=clean.content, content_type=clean.content_type)
    assert att.file.name in _keys(s3) and _encrypted(s3, att.file.name)
    assert not Path(settings.MEDIA_ROOT).exists() or not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*"))

    # Review preview, streamed from the bucket, audited as on disk.
    client.force_login(city_reviewer)
    preview = client.get(reverse("reviews:attachment_preview", args=[att.pk]))
    assert preview.status_code == 200 and b"".join(preview.streaming_content) == clean.content
    assert AuditLog.objects.filter(action="attachment.view", object_id=str(att.pk)).count() == 1

    # Export on the worker, "another machine": its MEDIA_ROOT is a folder this process never reads.
    celery_workers.extra_env["MEDIA_ROOT"] = str(tmp_path / "worker-machine")
    celery_workers.start()
    publish_and_end(scenario, city_finance)
    pl = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    client.force_login(city_finance)
    client.post(reverse("payouts:payout_export_start", args=[pl.pk]))
    job = _wait_done(PayoutExport, PayoutExport.objects.get(payout_list=pl).pk)
    assert job.status == JobStatus.DONE, job.message
    pl.refresh_from_db()
    assert pl.file.name in _keys(s3) and _encrypted(s3, pl.file.name)
    assert not (tmp_path / "worker-machine").exists() or not any((tmp_path / "worker-machine").rglob("*.xlsx"))

    # Download through the permission-checked view (streamed, audited), then the bank return.
    download = client.get(reverse("payouts:payout_download", args=[pl.pk]))
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"
    content = b"".join(download.streaming_content)
    assert int(download["Content-Length"]) == len(content)
    assert len(data_rows(read_sheet(content))) == pl.row_count
    assert AuditLog.objects.filter(action="payout_list.download", object_id=str(pl.pk)).count() == 1
    client.force_login(city_reviewer)
    refused = client.get(reverse("payouts:payout_download", args=[pl.pk]), follow=True)
    assert refused.redirect_chain and "导出含完整证件号的发放名单" in refused.content.decode()  # back to the list, why
    assert not hasattr(refused, "streaming_content")
    client.force_login(city_finance)
    returned = _bank_return_xlsx(content, {1: ("成功", ""), 2: ("失败", "户名与账号不符")})
    response = client.post(
        reverse("payouts:payout_bank_return", args=[pl.pk]), {"file": SimpleUploadedFile("回盘.xlsx", returned)}
    )
    assert response.status_code == 302
    statuses = dict(pl.lines.values_list("sequence", "status"))
    assert statuses[1] == PayoutLineStatus.PAID and statuses[2] == PayoutLineStatus.FAILED

    # A report built by the worker, downloaded here.
    export = report_export_request(user=city_finance, program=scenario.program, kind=ReportKind.PROGRAM_SUMMARY)
    export = _wait_done(ReportExport, export.pk)
    assert export.status == JobStatus.DONE, export.message
    assert export.file.name in _keys(s3) and _encrypted(s3, export.file.name)
    report = client.get(reverse("admin:payouts_report_download", args=[export.pk]))
    assert report.status_code == 200
    assert b"".join(report.streaming_content)[:2] == b"PK"
