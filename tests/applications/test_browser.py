"""End to end on a phone-sized headless Chromium: register, profile, apply with real files,
print the form, submit, see the timeline."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications.models import Application, ApplicationStatus, Worker
from tests.conftest import sms_code_in

from .factories import jpeg_bytes, make_card, make_id_number, make_program, make_tree, pdf_bytes, png_bytes

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture
def page(phone_page):
    return phone_page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_worker_applies_from_a_phone(live_server, page, settings, sms_outbox):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024  # a 1 MB cap, so the oversized photo stays small
    ARTIFACTS.mkdir(exist_ok=True)
    tree = make_tree()
    program = make_program(tree["city"], name="2026年济南市一线职工“求学圆梦行动”")
    id_number, card, phone = make_id_number(), make_card(), "13900001234"
    year = timezone.localdate().year

    page.goto(f"{live_server.url}/register/")
    page.fill("#id_phone", phone)
    page.click("button[name=send]")
    page.fill("#id_code", sms_code_in(sms_outbox, phone))
    page.fill("#id_password1", "Strong-pass-2024")
    page.fill("#id_password2", "Strong-pass-2024")
    page.click("button.primary[type=submit]")
    expect(page.locator("h1")).to_have_text("实名信息")

    page.fill("#id_name", "王小明")
    page.fill("#id_id_number", id_number)
    page.fill("#id_employer", "泉城软件公司")
    page.fill("#id_position", "装配工")
    # The union picker: the select is replaced by a search box fed by the JSON endpoint.
    page.fill("#id_union_search", "泉城软件")
    page.locator(".picker-list li", has_text="泉城软件公司工会").click()
    page.check("#id_is_frontline")
    page.check("#id_is_migrant")
    page.fill("#id_bank_name", "中国工商银行")
    page.fill("#id_bank_card", card)
    page.check("#id_holder_declaration")
    page.screenshot(path=str(ARTIFACTS / "01-profile.png"), full_page=True)
    page.click("button:has-text('保存')")
    expect(page.locator(".msg")).to_contain_text("个人信息已保存")
    worker = Worker.objects.get(phone=phone)
    assert worker.union == tree["shop"]
    assert id_number not in page.content()

    page.click("a:has-text('申请补助')")
    page.select_option("#id_level", "dazhuan")
    page.fill("#id_school", "山东开放大学")
    page.fill("#id_major", "机电一体化技术")
    page.fill("#id_enrolled_on", f"{year}-03-01")
    page.fill("#id_chsi_code", "A1B2C3D4E5F6G7H8")
    page.fill("#id_chsi_expires_on", f"{year + 1}-10-01")
    page.click("button:has-text('保存并继续')")
    expect(page.locator("h2", has_text="申请材料")).to_be_visible()

    # A photo over the cap is stopped on the phone, before a byte of it is sent.
    uploads_before = Application.objects.get(worker__user__username=phone).attachments.count()
    card = page.locator("#paper-form")
    oversized = b"\xff\xd8\xff" + b"\x00" * (1024 * 1024)
    card.locator("input[type=file]").set_input_files(
        files=[{"name": "大照片.jpg", "mimeType": "image/jpeg", "buffer": oversized}]
    )
    expect(card.locator("[data-size-error]")).to_be_visible()
    expect(card.locator("[data-size-error]")).to_contain_text("文件超过 1 MB 上限")
    expect(card.locator("button[type=submit]")).to_be_disabled()
    assert Application.objects.get(worker__user__username=phone).attachments.count() == uploads_before

    files = {
        "form": ("盖章申请表.jpg", "image/jpeg", jpeg_bytes((800, 1100))),
        "chsi": ("学信网报告.pdf", "application/pdf", pdf_bytes()),
        "id_front": ("身份证.png", "image/png", png_bytes((320, 200))),
    }
    for kind, (name, mime, data) in files.items():
        card = page.locator(f"#paper-{kind}")
        card.locator("input[type=file]").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": data}])
        card.locator("button[type=submit]").click()
        expect(page.locator(f"#paper-{kind} [role=status]")).to_contain_text("材料已上传")
    expect(page.locator(".paper.done")).to_have_count(3)
    page.screenshot(path=str(ARTIFACTS / "02-edit.png"), full_page=True)

    app = Application.objects.get(worker=worker)
    page.goto(f"{live_server.url}/applications/{app.pk}/print/")
    expect(page.locator("body")).to_contain_text(id_number)
    expect(page.locator("body")).to_contain_text(app.number)
    assert page.locator(".qr svg").count() == 1
    page.screenshot(path=str(ARTIFACTS / "03-print.png"), full_page=True)

    page.goto(f"{live_server.url}/applications/{app.pk}/submit/")
    page.click("button:has-text('确认提交')")
    expect(page.locator(".msg")).to_contain_text("申请已提交")
    expect(page.locator(".timeline")).to_contain_text("提交申请")
    expect(page.locator("#queue")).to_contain_text("第1位")
    assert id_number not in page.content()
    # Nothing runs off a phone's screen (the masked numbers once pushed the page sideways).
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "04-status.png"), full_page=True)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.IN_REVIEW and app.current_tier == tree["shop"]
    assert program.applications.count() == 1
