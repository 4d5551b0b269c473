"""The worker's pre-fill from the stored report: offered, filled on request, saved only by the worker."""

from datetime import date

import pytest
from playwright.sync_api import expect

from applications.models import Application, ReportReading
from applications.services import application_create_draft, attachment_upload
from quotas.models import DocumentKind, EducationLevel
from tests.browser import fits_width, sign_in
from tests.chsi_pdfs import image_only_pdf, report_pdf

from .factories import app_data, make_program, make_tree, make_worker, upload

REPORT = {
    "school": "济南职业学院",
    "major": "数控技术",
    "level": "本科",
    "code": "QX12AB34CD56",
    "valid_until": date(2027, 9, 30),
}


def _draft_with_report(data: bytes):
    tree = make_tree()
    program = make_program(tree["city"])
    worker = make_worker(tree["shop"])
    app = application_create_draft(
        worker=worker, program=program, data=app_data(level=EducationLevel.BENKE), actor=worker.user
    )
    attachment_upload(
        application=app, kind=DocumentKind.CHSI_REPORT, uploaded_file=upload("r.pdf", data), actor=worker.user
    )
    return app, worker


@pytest.mark.django_db(transaction=True)
def test_edit_page_offers_the_values_and_fills_the_form_only_on_request(client):
    enrolled = date(date.today().year, 3, 1)
    app, worker = _draft_with_report(report_pdf(enrolled=enrolled, **REPORT))
    client.force_login(worker.user)
    url = f"/applications/{app.pk}/edit/"
    html = client.get(url).content.decode()
    assert "用报告内容填写" in html and "QX12AB34CD56" in html
    assert 'value="QX12AB34CD56"' not in html  # offered, not yet filled in
    filled = client.get(url, {"prefill": "report"})
    form = filled.context["form"]
    assert form.initial["chsi_code"] == "QX12AB34CD56" and form.initial["school"] == "济南职业学院"
    assert form.initial["chsi_expires_on"] == date(2027, 9, 30) and form.initial["enrolled_on"] == enrolled
    assert form.initial["level"] == EducationLevel.BENKE
    assert 'value="QX12AB34CD56"' in filled.content.decode()
    app.refresh_from_db()
    assert app.chsi_code != "QX12AB34CD56"  # nothing saved by a GET


@pytest.mark.django_db
def test_pending_and_scanned_reports_say_so():
    from django.test import Client

    app, worker = _draft_with_report(report_pdf())  # on_commit never runs here: still pending
    client = Client()
    client.force_login(worker.user)
    assert ReportReading.objects.get().status == "pending"
    html = client.get(f"/applications/{app.pk}/edit/").content.decode()
    assert "学信网报告核对中" in html and "用报告内容填写" not in html
    ReportReading.objects.update(status="no_text")
    html = client.get(f"/applications/{app.pk}/edit/").content.decode()
    assert "无法自动核对（扫描件）" in html and "用报告内容填写" not in html


@pytest.mark.django_db(transaction=True)
def test_a_scan_offers_nothing(client):
    app, worker = _draft_with_report(image_only_pdf())
    client.force_login(worker.user)
    html = client.get(f"/applications/{app.pk}/edit/", {"prefill": "report"}).content.decode()
    assert "无法自动核对（扫描件）" in html and "用报告内容填写" not in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_prefill_on_a_phone_fills_then_the_worker_saves(live_server, phone_page):
    page = phone_page
    app, worker = _draft_with_report(report_pdf(**REPORT))
    sign_in(page, live_server, worker.user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    expect(page.locator("#report-prefill")).to_contain_text("QX12AB34CD56")
    assert fits_width(page, 390)
    page.locator("#report-prefill-button").click()
    expect(page.locator("#report-prefill-done")).to_be_visible()
    expect(page.locator("input[name=chsi_code]")).to_have_value("QX12AB34CD56")
    expect(page.locator("input[name=school]")).to_have_value("济南职业学院")
    expect(page.locator("input[name=major]")).to_have_value("数控技术")
    expect(page.locator("input[name=chsi_expires_on]")).to_have_value("2027-09-30")
    assert fits_width(page, 390)
    page.get_by_role("button", name="保存修改").click()
    expect(page.locator(".msg.success")).to_contain_text("申请信息已保存")
    saved = Application.objects.get(pk=app.pk)
    assert (saved.chsi_code, saved.school, saved.major) == ("QX12AB34CD56", "济南职业学院", "数控技术")
    assert saved.chsi_expires_on == date(2027, 9, 30)
