"""The dashboard in a real browser: charts render, and a county admin sees only its county."""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from tests.conftest import staff_session_verify

from .factories import PLAN, admin_make, city_make, expected_for, seed

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
def test_dashboard_charts_render_and_county_sees_its_subtree(live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls below are
    # plain synchronous test set-up, not async code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    c = seed(city_make(), days_back=5)
    seed(c, days_back=3)  # a busier week: two submissions on some days
    city_admin, county_admin = admin_make(c.city), admin_make(c.counties[0])
    cookies = {name: _session_cookie(user) for name, user in (("city", city_admin), ("county", county_admin))}
    ARTIFACTS.mkdir(exist_ok=True)
    seen = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            for who, key in cookies.items():
                context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
                context.add_cookies(
                    [{"name": django_settings.SESSION_COOKIE_NAME, "value": key, "url": live_server.url}]
                )
                page = context.new_page()
                blocked = []  # anything the CSP refuses (no inline script may remain)
                page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
                external = []
                page.on(
                    "request",
                    lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None,
                )
                page.goto(f"{live_server.url}/admin/")
                page.click("text=数据看板")
                page.wait_for_selector("#chart-quota svg")
                assert external == []  # nothing fetched from outside: works on an intranet
                assert blocked == []
                charts = page.locator(".chart svg")
                assert charts.count() == 4
                for i in range(4):
                    box = charts.nth(i).bounding_box()
                    assert box and box["width"] > 300 and box["height"] > 150
                # pygal draws one rect per bar: the quota chart has bars for the seeded units.
                assert page.locator("#chart-quota svg .rect").count() >= 2
                seen[who] = {
                    "applications": int(page.inner_text("#kpi-applications")),
                    "paid": int(page.inner_text("#kpi-paid")),
                    "units": page.locator("#unit-table tbody tr").count() - 1,  # minus the 合计 row
                    "scope": page.inner_text("#dash-scope"),
                    "under": page.locator("#breakdown-table tbody tr").count(),
                }
                page.screenshot(path=str(ARTIFACTS / f"dashboard-{who}.png"), full_page=True)
                context.close()
        finally:
            browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert seen["city"]["applications"] == 2 * sum(expected_for(i)["applications"] for i in PLAN)
    assert seen["county"]["applications"] == 2 * expected_for(0)["applications"]
    assert seen["county"]["paid"] == 2 * expected_for(0)["paid"]
    assert seen["city"]["applications"] != seen["county"]["applications"]
    assert (seen["city"]["units"], seen["county"]["units"]) == (2, 1)
    assert (seen["city"]["under"], seen["county"]["under"]) == (0, 2)  # the county's two grassroots unions
    assert seen["county"]["scope"] == c.counties[0].name
