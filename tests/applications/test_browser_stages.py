"""Issue 15 on a phone (390×844): a Xian'an worker whose spring stage passed sees the stages
as steps, adds December's facts and papers, and submits stage 2; the demo's own programme."""

from datetime import date

import pytest
from playwright.sync_api import expect

from applications.models import Application, ApplicationStatus
from applications.services import application_create_draft, application_submit, attachment_upload
from quotas.demo import load_quota_demo
from quotas.models import AdminRole, Union, UnionLevel
from reviews import services as reviews
from tests.browser import fits_width, sign_in

from ..reviews.conftest import make_admin
from .factories import jpeg_bytes, make_worker, upload
from .test_stages import SCHOOL


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_worker_claims_stage_2_on_the_phone(live_server, phone_page, tmp_path):
    page = phone_page
    program = load_quota_demo().programs["xianan-2026"]
    shop = Union.objects.get(name="咸安区人民医院工会")
    district = Union.objects.get(name="咸安区总工会", level=UnionLevel.COUNTY)
    worker = make_worker(shop)
    entry = program.catalogue.filter(school=SCHOOL).first()
    from applications.services import ApplicationData

    data = ApplicationData(level=entry.level, school=entry.school, major=entry.major)
    app = application_create_draft(worker=worker, program=program, data=data, actor=worker.user)
    attachment_upload(
        application=app, kind="recommendation", uploaded_file=upload("r.jpg", jpeg_bytes()), actor=worker.user
    )
    app = application_submit(application=app, actor=worker.user)
    reviews.application_approve(application=app, reviewer=make_admin(shop, AdminRole.REVIEWER))
    reviews.application_approve(application=app, reviewer=make_admin(district, AdminRole.MANAGER))

    sign_in(page, live_server, worker.user)
    page.goto(f"{live_server.url}/applications/{app.pk}/")
    steps = page.locator("#stage-steps")
    expect(steps).to_contain_text("第1阶段：申请助学")
    expect(steps.locator("li.stage-current")).to_contain_text("第2阶段：助学金申报")
    expect(steps.locator("li.stage-current")).to_contain_text("截止：")
    assert fits_width(page, 390)
    page.screenshot(path="tests/applications/artifacts/stage-2-detail.png", full_page=True)
    page.click("a:has-text('申报第2阶段')")

    expect(page.locator("#stage-next")).to_be_visible()
    page.fill("#id_enrolled_on", f"{program.year}-03-01")
    page.fill("#id_chsi_code", "A1B2C3D4E5F6")
    page.fill("#id_chsi_expires_on", f"{program.year + 1}-10-01")
    page.click("button:has-text('保存修改')")
    expect(page.locator(".msg.success")).to_contain_text("申请信息已保存")
    photo = tmp_path / "paper.jpg"
    photo.write_bytes(jpeg_bytes(size=(800, 600)))
    for kind in ("admission", "chsi", "id_front", "id_back", "bank_card"):
        card = page.locator(f"#paper-{kind}")
        card.locator("input[type=file]").set_input_files(str(photo))
        card.locator("button[type=submit]").click()
        expect(page.locator(f"#paper-{kind}")).to_contain_text("已上传")
    assert fits_width(page, 390)
    page.click("a:has-text('检查并提交第2阶段')")
    expect(page.locator("#submit-ready")).to_be_visible()
    page.screenshot(path="tests/applications/artifacts/stage-2-check.png", full_page=True)
    page.click("button:has-text('确认提交第2阶段')")
    expect(page.locator(".badge.big")).to_contain_text("审核中")
    app = Application.objects.get(pk=app.pk)
    assert (app.status, app.stage, app.enrolled_on) == (ApplicationStatus.IN_REVIEW, 2, date(program.year, 3, 1))
    assert app.cofunder is not None and app.cofunder.name == SCHOOL
