"""信息变更核实 in the admin, on a laptop screen: the programme owner's finance opens the
pending card change from the admin index, sees masked before/after and confirms it."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect, sync_playwright

from applications.models import WorkerChangeStatus
from applications.services import ProfileData, worker_profile_save
from qiuxue.crypto import decrypt_text
from qiuxue.masking import mask_bank_card
from quotas.models import AdminRole
from tests.conftest import staff_session_verify

from .conftest import luhn_complete, staff

ARTIFACTS = Path(__file__).parent / "artifacts"


def _session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    staff_session_verify(session, user)  # staff pages need the second factor
    return session.session_key


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_finance_confirms_a_card_change_in_the_admin(live_server, scenario, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright + ORM set-up
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

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        context.add_cookies(
            [{"name": django_settings.SESSION_COOKIE_NAME, "value": _session_cookie(finance), "url": live_server.url}]
        )
        page = context.new_page()
        blocked = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        try:
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
        finally:
            context.close()
            browser.close()
    assert blocked == []
    change.refresh_from_db()
    worker.refresh_from_db()
    assert change.status == WorkerChangeStatus.CONFIRMED and change.decided_by == finance
    assert decrypt_text(worker.bank_card_encrypted) == new_card
