"""The dashboard in a real browser at 1366×768: charts and the quota bars render, a county
admin sees only its county, a province manager compares its cities; screenshots saved."""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse

from quotas.models import Quota, UnionLevel
from quotas.services import union_create
from tests.browser import fits_width
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
    shandong = union_create(name="山东省总工会", code="370000-b", level=UnionLevel.PROVINCE)
    c = seed(city_make(parent=shandong), days_back=5)
    seed(c, days_back=3)  # a busier week: two submissions on some days
    Quota.objects.filter(source=c.sources["city"], is_pool=True).update(slots=500)
    linyi = city_make(parent=shandong, name="临沂市总工会")
    linyi.program.name = "2024年临沂市求学圆梦行动"
    linyi.program.save(update_fields=["name"])
    seed(linyi)
    users = (("city", admin_make(c.city)), ("county", admin_make(c.counties[0])), ("province", admin_make(shandong)))
    cookies = {name: _session_cookie(user) for name, user in users}
    ARTIFACTS.mkdir(exist_ok=True)
    seen = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            for who, key in cookies.items():
                context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
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
                if who == "province":
                    page.wait_for_selector("#province-table")
                    seen["province_rows"] = page.locator("#province-table tbody tr").count() - 1
                    seen["province_apps"] = [
                        int(t) for t in page.locator("#province-table tbody tr td.n-applications").all_inner_texts()
                    ]
                    box = page.locator("#province-table").bounding_box()
                    assert box and box["y"] < 768  # the comparison is the first thing the province sees
                    page.screenshot(path=str(ARTIFACTS / "dashboard-province.png"), full_page=True)
                    page.goto(f"{live_server.url}{reverse('admin:payouts_dashboard')}?program={c.program.pk}")
                page.wait_for_selector("#quota-table")
                assert external == []  # nothing fetched from outside: works on an intranet
                assert blocked == []
                assert fits_width(page, 1366)  # no horizontal scroll at 1366 px
                charts = page.locator(".chart svg")
                assert charts.count() == 3
                for i in range(3):
                    box = charts.nth(i).bounding_box()
                    assert box and box["width"] > 300 and box["height"] > 150
                # Each unit's bar is drawn in proportion to its own slots: a small unit is visible.
                for bar in page.locator("#quota-table tbody tr:not(.total) .qbar").all():
                    box = bar.bounding_box()
                    assert box and box["width"] > 100 and box["height"] >= 8
                used = page.locator('#quota-table tr[data-unit="历下区总工会"] .qbar-used').bounding_box()
                assert used and used["width"] > 10
                seen[who] = {
                    "applications": int(page.inner_text("#kpi-applications")),
                    "paid": int(page.inner_text("#kpi-paid")),
                    "units": page.locator("#unit-table tbody tr").count() - 1,  # minus the 合计 row
                    "scope": page.inner_text("#dash-scope"),
                    "under": page.locator("#breakdown-table tbody tr").count(),
                    "quota_total": page.inner_text("#quota-total-slots"),
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
    # The city's table has its two units and the pool line; the county only itself.
    assert (seen["city"]["units"], seen["county"]["units"]) == (3, 1)
    assert (seen["city"]["quota_total"], seen["county"]["quota_total"]) == ("508", "5")
    total = sum(expected_for(i)["applications"] for i in PLAN)
    assert seen["province_rows"] == 2 and sorted(seen["province_apps"][:2]) == [total, 2 * total]
    assert seen["province"]["applications"] == seen["city"]["applications"]
    assert (seen["city"]["under"], seen["county"]["under"]) == (0, 2)  # the county's two grassroots unions
    assert seen["county"]["scope"] == c.counties[0].name
