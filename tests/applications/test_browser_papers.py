"""In Chromium: Xian'an's printed 助学推荐表 fits one A4 sheet with every box of the seed, and
the reviewer's 退回修改 checklist at 1366×768 offers that programme's papers only (issue 12).

Screenshots go to ``tests/applications/artifacts/`` (look at them: the point is the paper).
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect, sync_playwright

from applications.models import ApplicationStatus
from quotas.models import AdminRole, UnionLevel
from quotas.services import union_admin_create, union_create

from .factories import make_ready_application, make_user, make_worker
from .test_printed_form import XIANAN_PAPERS, xianan_programme

ARTIFACTS = Path(__file__).parent / "artifacts"
MM = 96 / 25.4  # CSS pixels per millimetre


@pytest.fixture
def chromium(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync ORM beside Playwright's loop
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def _context(browser, live_server, user, viewport):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    return context, page, blocked


@pytest.fixture
def xianan(db):
    district = union_create(name="咸安区总工会", code="xa-e", level=UnionLevel.COUNTY)
    town = union_create(name="温泉街道工会", code="xa-e-t", level=UnionLevel.TOWNSHIP, parent=district)
    shop = union_create(name="咸宁市某纺织有限公司工会", code="xa-e-g", level=UnionLevel.GRASSROOTS, parent=town)
    program = xianan_programme(district)
    program.review_tiers = ["grassroots", "county"]
    program.save(update_fields=["review_tiers"])
    worker = make_worker(shop, name="欧阳晓明", employer="咸宁市某纺织有限公司")
    return {"district": district, "shop": shop, "program": program, "worker": worker}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_printed_recommendation_form_is_one_a4_sheet_with_the_seeds_boxes(live_server, chromium, xianan):
    ARTIFACTS.mkdir(exist_ok=True)
    app = make_ready_application(xianan["worker"], xianan["program"])
    # The printable width of A4 with the page's 14 mm side margins.
    width = round((210 - 28) * MM)
    context, page, blocked = _context(chromium, live_server, xianan["worker"].user, {"width": width, "height": 1100})
    page.goto(f"{live_server.url}{reverse('applications:print', args=[app.pk])}")
    page.emulate_media(media="print")
    year = xianan["program"].year
    expect(page.locator("h1.rec-title")).to_have_text(f"{year}年咸安区总工会“求学圆梦行动”助学推荐表")
    expect(page.locator(".toolbar")).to_be_hidden()  # the print button is not on the paper
    for box in ("applicant", "grassroots", "district"):
        expect(page.locator(f'[data-box="{box}"]')).to_be_visible()
    # The photo box is big enough for a 1-inch photo (25 × 35 mm).
    photo = page.locator(".rec-photo").bounding_box()
    assert photo["width"] >= 25 * MM and photo["height"] >= 35 * MM, photo
    # The stamp boxes leave room for a round stamp (about 40 mm).
    for box in ("grassroots", "district"):
        assert page.locator(f'[data-box="{box}"] td').bounding_box()["height"] >= 40 * MM
    # Nothing runs off the side, and everything fits on one sheet.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1  # one sheet of paper
    (ARTIFACTS / "recommendation-a4.pdf").write_bytes(pdf)
    page.screenshot(path=str(ARTIFACTS / "recommendation-a4.png"), full_page=True)
    context.close()
    assert blocked == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_return_checklist_of_a_xianan_application_at_1366(live_server, chromium, xianan):
    ARTIFACTS.mkdir(exist_ok=True)
    from applications.services import application_submit

    app = make_ready_application(xianan["worker"], xianan["program"])
    application_submit(application=app, actor=xianan["worker"].user)
    reviewer = make_user("xa-grassroots-e")
    union_admin_create(user=reviewer, union=xianan["shop"], role=AdminRole.REVIEWER)

    context, page, blocked = _context(chromium, live_server, reviewer, {"width": 1366, "height": 768})
    page.goto(f"{live_server.url}{reverse('admin:applications_application_change', args=[app.pk])}")
    page.locator("details.rv-return summary").click()
    boxes = page.locator('input[name="return-fields_to_fix"]')
    papers = [v for v in boxes.evaluate_all("els => els.map(e => e.value)") if v.startswith("doc:")]
    assert sorted(papers) == sorted(f"doc:{k.value}" for k in XIANAN_PAPERS)
    checklist = page.locator("details.rv-return")
    expect(checklist).to_contain_text("助学推荐表")
    expect(checklist).to_contain_text("录取通知书")
    expect(checklist).not_to_contain_text("盖章申请表")
    expect(checklist).not_to_contain_text("职级证明")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    checklist.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "return-checklist-1366.png"), full_page=True)

    page.locator('input[name="return-fields_to_fix"][value="doc:recommendation"]').check()
    page.fill("#id_return-reason", "推荐表缺少基层工会公章，请盖章后重新上传")
    page.locator("details.rv-return button[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("已办理")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.RETURNED and app.return_fields == ["doc:recommendation"]
    context.close()
    assert blocked == []
