"""The demo's 学信网 reports are PDFs with a text layer that say what their applications
say, so 报告核对 shows ✓; one (``REPORT_MISMATCH_PHONE``'s) reads 休学: a ✗ and the flag."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from applications.demo import DEMO_PHONE, REPORT_MISMATCH_PHONE, demo_workers_load
from applications.models import Application, ApplicationStatus, ReportReading, ReportReadingStatus
from quotas.demo import load_quota_demo
from quotas.models import DocumentKind, EducationLevel
from reviews.flags import FlagCode, flags_for_applications
from reviews.report_check import BAD, report_check_for, report_checks_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    load_quota_demo()
    # The readings are queued on commit (eager Celery in the demo); run them here.
    with django_capture_on_commit_callbacks(execute=True):
        demo_workers_load()


def _with_report():
    return Application.objects.filter(
        attachments__kind=DocumentKind.CHSI_REPORT, attachments__is_current=True
    ).select_related("worker", "program")


def test_every_demo_report_is_read_and_says_what_its_application_says(demo):
    apps = list(_with_report())
    assert len(apps) >= 40
    for app in apps:
        reading = ReportReading.objects.get(attachment__application=app, attachment__kind=DocumentKind.CHSI_REPORT)
        assert reading.status == ReportReadingStatus.READ and reading.source == "pdf_text", app.number
        f = reading.fields
        assert f["name"] == app.worker.name and f["birth_date"] == app.worker.birth_date.isoformat()
        assert (f["school"], f["major"]) == (app.school, app.major)
        benke = app.level in (EducationLevel.BENKE, EducationLevel.ZHUAN_SHENG_BEN)
        assert f["level"] == ("本科" if benke else "专科")
        assert f["enrolled_on"] == app.enrolled_on.isoformat()
        assert f["code"] == app.chsi_code and f["valid_until"] == app.chsi_expires_on.isoformat()
        if app.worker.phone != REPORT_MISMATCH_PHONE:
            assert f["status"].startswith("在籍"), app.number
        if "id_number_hmac" in f:  # the older layout
            assert f["id_number_hmac"] == app.worker.id_number_hmac
    layouts = {r.layout for r in ReportReading.objects.all()}
    assert layouts == {"old", "new"}


def test_submitted_demo_reports_check_without_a_cross_but_the_one_that_reads_xiuxue(demo, client):
    # Drafts are left out: their validity is checked against today, and Jinan's 2024
    # drafts carry the 2025 date their workers typed then.
    apps = list(_with_report().exclude(status=ApplicationStatus.DRAFT))
    checks = report_checks_for(apps)
    crossed = {app.worker.phone: [r.label for r in checks[app.pk].mismatches] for app in apps}
    assert crossed.pop(REPORT_MISMATCH_PHONE) == ["学籍状态"]
    assert all(labels == [] for labels in crossed.values()), {p: x for p, x in crossed.items() if x}
    flags = flags_for_applications(apps)
    with_flag = {a.worker.phone for a in apps if FlagCode.REPORT_MISMATCH in [f.code for f in flags[a.pk]]}
    assert with_flag == {REPORT_MISMATCH_PHONE}
    # On its university's review page (jclg_reviewer, the README's demo section).
    app = Application.objects.get(worker__phone=REPORT_MISMATCH_PHONE)
    assert app.cofunder.name == "荆楚理工学院" and app.status == ApplicationStatus.IN_REVIEW
    matching = Application.objects.get(worker__phone=DEMO_PHONE)
    assert report_check_for(matching).rows and not report_check_for(matching).mismatches
    client.force_login(get_user_model().objects.get(username="jclg_reviewer"))
    page = client.get(reverse("admin:applications_application_change", args=[app.pk]))
    check = page.context["report_check"]
    assert [(r.label, r.report_value, r.result) for r in check.mismatches] == [("学籍状态", "休学", BAD)]
    html = page.content.decode()
    assert "报告核对" in html and "休学" in html and "✗" in html and "学信网报告内容与申请不符" in html
