"""The one way the suite drives a browser: Debian's Chromium (never a downloaded one), a
page at the screen size of the person who uses it, a session signed in without typing a
password (through the test client's ``force_login``, which also passes staff two-factor,
see ``tests/conftest.py``), and any script the Content Security Policy blocks a failure."""

from contextlib import contextmanager

from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

PHONE = {"width": 390, "height": 844}  # a worker's phone
DESK = {"width": 1366, "height": 768}  # a union clerk's laptop
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def chromium_page(viewport: dict, *, scale: float = 1, downloads: bool = False):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport=viewport, device_scale_factor=scale, locale="zh-CN", accept_downloads=downloads
            )
            page = context.new_page()
            blocked: list[str] = []
            page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
            yield page
            assert blocked == [], blocked
        finally:
            browser.close()


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def fits_width(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


# Accessibility and weight of a page, as the worker's phone gets it.
SERIOUS = ("serious", "critical")


def axe_serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page (axe.min.js comes inside the
    ``axe-playwright-python`` package and is injected by Playwright, not fetched: no CDN)."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in SERIOUS
    ]


def fits_width_at_text_200(page, width: int) -> bool:
    """The page at 200 % text size (the root font size doubled; the CSS sizes text in rem)
    still fits the screen's width without horizontal scrolling."""
    size = "parseFloat(getComputedStyle(document.body).fontSize)"
    normal = page.evaluate(size)
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    try:
        # Text sized in px would not grow and the check would pass for nothing.
        assert page.evaluate(size) == 2 * normal, "the body's text does not follow the root font size"
        return fits_width(page, width)
    finally:
        page.evaluate("document.documentElement.style.fontSize = ''")


def page_weight(page) -> tuple[int, dict[str, int]]:
    """Bytes of the page as loaded: its HTML and every CSS, JS and image it fetched (the
    browser's own resource list), each fetched again with the page's cookies, so a file the
    memory cache served still counts and each page is weighed with its own assets."""
    urls = page.evaluate("[location.href, ...performance.getEntriesByType('resource').map(e => e.name)]")
    sizes = {}
    for url in dict.fromkeys(urls):
        response = page.context.request.get(url)
        sizes[url] = len(response.body())
    return sum(sizes.values()), sizes
