"""信息变更核实 in the admin, on a laptop screen: the programme owner's finance opens the
pending card change from the admin index, sees masked before/after and confirms it."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from applications.models import WorkerChangeStatus
from applications.services import ProfileData, worker_profile_save
from qiuxue.crypto import decrypt_text
from qiuxue.masking import mask_bank_card
from quotas.models import AdminRole
from tests.browser import sign_in

from .conftest import luhn_complete, staff

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_finance_confirms_a_card_change_in_the_admin(live_server, scenario, desk_page):
    ARTIFACTS.mkdir(exist_ok=True)
    finance = staff(scenario.city, AdminRole.FINANCE, "city-finance-browser")
    app = scenario.applications[0]
    worker = app.worker
    old_card, new_card = scenario.numbers[app.pk][1], luhn_complete("621700123456789012")
    worker_profile_save(
        user=worker.user,
        data=ProfileData(
            name=worker.name, employer=worker.employer, union=worker.union, bank_name="中国建设银行", bank_card=new_card
        ),
    )
    change = worker.changes.get()

    page = desk_page
    sign_in(page, live_server, finance)
    page.goto(f"{live_server.url}/admin/")
    page.click("text=信息变更核实")
    row = page.locator("#result_list tbody tr", has_text=worker.name)
    expect(row).to_contain_text(mask_bank_card(new_card))
    expect(row).to_contain_text("待核实")
    row.locator("a").first.click()

    expect(page.locator(".rv-change")).to_contain_text(mask_bank_card(old_card))
    expect(page.locator(".rv-change")).to_contain_text(mask_bank_card(new_card))
    assert new_card not in page.content() and old_card not in page.content()
    confirm = page.locator("button:has-text('确认变更')")
    box = confirm.bounding_box()
    assert box and box["x"] + box["width"] <= 1366
    page.fill("#id_confirm-note", "已电话联系本人核实，新卡为本人账户")
    page.screenshot(path=str(ARTIFACTS / "change-admin-confirm.png"), full_page=True)
    confirm.click()
    expect(page.locator(".messagelist")).to_contain_text("已确认")
    change.refresh_from_db()
    worker.refresh_from_db()
    assert change.status == WorkerChangeStatus.CONFIRMED and change.decided_by == finance
    assert decrypt_text(worker.bank_card_encrypted) == new_card
