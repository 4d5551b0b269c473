"""Issue 18 in Chromium at 1366×768 and 1440×900: each demo role's index (the desk, in view,
no horizontal scroll), the review page decided at the top (the decision panel inside the
first screen, the papers' viewer, the keys, the error beside the panel), and the queue at
1366 px without horizontal scrolling. Screenshots in ``tests/reviews/artifacts/``."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from applications.demo import demo_workers_load
from quotas.demo import load_quota_demo
from quotas.models import DocumentKind
from tests.browser import DESK, chromium_page, fits_width, sign_in

from .conftest import add_attachment, make_admin, make_submitted, make_worker

ARTIFACTS = Path(__file__).parent / "artifacts"
WIDE = {"width": 1440, "height": 900}
ROLES = (
    "jinan_city",
    "jinan_reviewer",
    "jinan_finance",
    "lixia_county",
    "lixia_grassroots",
    "xnzy_reviewer",
    "xnzy_finance",
    "jclg_reviewer",  # the demo's report that reads 休学: a flag to look at on the desk
)


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 220, 240)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_each_roles_index_shows_its_desk_on_the_first_screen(live_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    load_quota_demo()
    demo_workers_load()
    ARTIFACTS.mkdir(exist_ok=True)
    users = get_user_model().objects
    for viewport in (DESK, WIDE):
        with chromium_page(viewport) as page:
            for username in ROLES:
                page.context.clear_cookies()
                sign_in(page, live_server, users.get(username=username))
                page.goto(f"{live_server.url}/admin/")
                desk = page.locator("#staff-desk").bounding_box()
                assert desk is not None and desk["y"] + 120 < viewport["height"], username
                assert page.locator("#staff-desk .desk-row").count() >= 1, username
                assert fits_width(page, viewport["width"]), username
                if username == "jclg_reviewer":  # the stored flags, counted on the desk
                    flags = page.locator('#staff-desk [data-desk="flags"] .desk-count')
                    assert int(flags.get_attribute("data-count")) >= 1
                    flags.click()
                    page.wait_for_url("**risk=any**")
                    page.locator("#result_list .rv-flag", has_text="学信网报告内容与申请不符").first.wait_for()
                    page.screenshot(path=str(ARTIFACTS / f"queue-flags-jclg-{viewport['width']}.png"), full_page=True)
                    page.go_back()
                page.screenshot(path=str(ARTIFACTS / f"index-{username}-{viewport['width']}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_review_page_is_decided_at_the_top(live_server, monkeypatch, tree, program):
    from playwright.sync_api import expect

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    reviewer = make_admin(tree.grassroots_a1)
    app = make_submitted(make_worker(tree.grassroots_a1, public_sector=True), program)
    nxt = make_submitted(make_worker(tree.grassroots_a1), program)
    for kind in (DocumentKind.ID_FRONT, DocumentKind.ID_BACK, DocumentKind.BANK_CARD, DocumentKind.APPLICATION_FORM):
        add_attachment(app, kind, content=_png(), content_type="image/png")
    add_attachment(app, DocumentKind.CHSI_REPORT)  # a PDF: opens in the browser's viewer
    url = live_server.url + reverse("admin:applications_application_change", args=[app.pk])
    ARTIFACTS.mkdir(exist_ok=True)
    for viewport in (DESK, WIDE):
        with chromium_page(viewport) as page:
            sign_in(page, live_server, reviewer)
            page.goto(url)
            panel = page.locator("#rv-decide").bounding_box()
            approve = page.locator("details.rv-approve summary").bounding_box()
            reject = page.locator("details.rv-reject summary").bounding_box()
            assert panel["y"] < 300 and reject["y"] + reject["height"] <= viewport["height"] <= 900
            assert approve["y"] + approve["height"] <= 900
            assert fits_width(page, viewport["width"])
            page.screenshot(path=str(ARTIFACTS / f"review-{viewport['width']}.png"))
            # Still in view after scrolling the papers (sticky).
            page.mouse.wheel(0, 1500)
            page.wait_for_timeout(200)
            box = page.locator("details.rv-reject summary").bounding_box()
            assert 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"]
            page.mouse.wheel(0, -3000)

    with chromium_page(WIDE) as page:
        sign_in(page, live_server, reviewer)
        page.goto(url)
        # The viewer: thumbnail → dialog, next, rotate, zoom, Escape.
        page.locator("a.rv-thumb[data-viewer-src]").first.click()
        dialog = page.locator("#rv-viewer")
        expect(dialog).to_be_visible()
        first = page.locator("#rv-viewer .rv-viewer-title").text_content()
        page.keyboard.press("ArrowRight")
        assert page.locator("#rv-viewer .rv-viewer-title").text_content() != first
        page.locator("[data-viewer=rotate]").click()
        page.locator("[data-viewer=zoom-in]").click()
        transform = page.locator("#rv-viewer img").evaluate("img => img.style.transform")
        assert "rotate(90deg)" in transform and "scale(1.25)" in transform
        page.screenshot(path=str(ARTIFACTS / "review-viewer.png"))
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        pdf = page.locator("a.rv-thumb:not([data-viewer-src])")
        assert pdf.get_attribute("target") == "_blank"
        # Keyboard: R opens 退回修改 with its reason focused; submitting without a tick shows
        # the error beside the panel and keeps the text typed.
        page.keyboard.press("r")
        expect(page.locator("details.rv-return")).to_have_attribute("open", "")
        page.keyboard.type("请补充材料")
        page.keyboard.press("Control+Enter")
        page.wait_for_load_state()
        error = page.get_by_text("请勾选需要修改的项目或材料")
        expect(error).to_be_visible()
        box = error.bounding_box()
        assert 0 <= box["y"] <= WIDE["height"]
        assert page.locator("details.rv-return textarea").input_value() == "请补充材料"
        # N: the next application of my queue.
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("n")
        page.wait_for_url(f"**/{nxt.pk}/change/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_queue_fits_1366_without_horizontal_scroll(live_server, desk_page, tree, program):
    city = make_admin(tree.city)
    for i in range(12):
        make_submitted(make_worker(tree.grassroots_a1, name="欧阳娜娜" + str(i)), program)
    sign_in(desk_page, live_server, city)
    desk_page.goto(live_server.url + reverse("admin:applications_application_changelist") + "?queue=all")
    assert desk_page.locator("#result_list tbody tr").count() == 12
    table = desk_page.locator("#result_list").bounding_box()
    assert table["x"] + table["width"] <= DESK["width"]
    assert desk_page.evaluate("document.querySelector('#changelist .results').scrollWidth") <= desk_page.evaluate(
        "document.querySelector('#changelist .results').clientWidth"
    )
    assert fits_width(desk_page, DESK["width"])
    ARTIFACTS.mkdir(exist_ok=True)
    desk_page.screenshot(path=str(ARTIFACTS / "queue-1366.png"), full_page=True)
