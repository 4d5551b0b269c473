"""On a phone: a worker with approved money changes the bank card and sees it held for
review ("银行卡变更待核实", masked before/after) on the profile and the status page."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from applications.models import Application, ApplicationStatus, WorkerChange
from applications.services import application_submit
from qiuxue.crypto import decrypt_text
from qiuxue.masking import mask_bank_card
from tests.conftest import sms_code_in

from .factories import make_card, make_program, make_ready_application, make_tree, make_user, make_worker

ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "Qx-test-pass-2024"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_worker_sees_the_card_change_held_for_review_on_a_phone(live_server, phone_page, sms_outbox):
    ARTIFACTS.mkdir(exist_ok=True)
    tree = make_tree()
    program = make_program(tree["city"])
    user = make_user(password=PASSWORD)
    worker = make_worker(tree["shop"], user=user)
    app = make_ready_application(worker, program)
    application_submit(application=app, actor=user)
    Application.objects.filter(pk=app.pk).update(status=ApplicationStatus.APPROVED)  # set-up: reviews approved it
    old_card = decrypt_text(worker.bank_card_encrypted)
    new_card = make_card()

    page = phone_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/profile/")
    expect(page.locator("#pending-change")).to_have_count(0)
    # A new card first asks for a code to the current phone.
    page.click(".card-reauth a")
    page.click("button[name=send]")
    page.fill("#id_code", sms_code_in(sms_outbox, worker.phone))
    page.click("button.primary[type=submit]")
    expect(page.locator(".card-reauth")).to_have_count(0)
    page.fill("#id_bank_card", new_card)
    page.check("#id_holder_declaration")
    page.click("button:has-text('保存')")
    expect(page.locator(".msg.warning")).to_contain_text("银行卡变更待核实")

    page.goto(f"{live_server.url}/profile/")
    notice = page.locator("#pending-change")
    expect(notice).to_contain_text("银行卡变更待核实")
    expect(notice).to_contain_text(f"{mask_bank_card(old_card)} → {mask_bank_card(new_card)}")
    box = notice.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390  # fits the phone's width
    assert new_card not in page.content() and old_card not in page.content()
    page.screenshot(path=str(ARTIFACTS / "change-01-profile-pending.png"), full_page=True)

    page.goto(f"{live_server.url}/applications/{app.pk}/")
    expect(page.locator("#pending-change")).to_contain_text("银行卡变更待核实")
    expect(page.locator(".timeline")).to_contain_text("银行卡变更待核实")
    page.screenshot(path=str(ARTIFACTS / "change-02-status-pending.png"), full_page=True)
    worker.refresh_from_db()
    assert decrypt_text(worker.bank_card_encrypted) == old_card
    assert decrypt_text(WorkerChange.objects.get(worker=worker).bank_card_encrypted) == new_card
