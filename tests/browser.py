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
