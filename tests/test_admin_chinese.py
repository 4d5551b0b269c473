"""Issue 18: every string of every admin page in Simplified Chinese. Signs in as each demo
account, opens every admin page it may (the index, each changelist it links to, the first
change page of each, the custom admin views linked from those), and fails on any English
word of Django's or ours left on the page (text, titles, placeholders, option labels)."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from applications.demo import demo_workers_load
from quotas.demo import load_quota_demo

pytestmark = pytest.mark.django_db

# Not words of a language: file formats, units, the programme's own codes, and the key caps
# named on the review page (快捷键).
ALLOWED = {
    "Ctrl",
    "Enter",
    "Esc",
    "PDF",
    "XLSX",
    "xlsx",
    "CSV",
    "csv",
    "GBK",  # a file encoding, named on the roster import page (GB18030/GBK/UTF-8)
    "Excel",
    "ID",
    "HEIC",
    "JPG",
    "JPEG",
    "PNG",
    "WebP",
    "CHSI",
    "TOTP",
    "OK",
    "MB",
    "KB",
}
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
CODE = re.compile(r"[A-Za-z0-9_-]*[0-9][A-Za-z0-9_-]*")
VISIBLE_ATTRS = ("title", "placeholder", "aria-label", "alt")
SKIP_TAGS = {"script", "style", "code"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in SKIP_TAGS:
            self._skip += 1
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.parts.append(a["value"])
        for name in VISIBLE_ATTRS:
            if a.get(name):
                self.parts.append(a[name])

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def english_words(html: str, allowed: set[str]) -> tuple[set[str], list[str]]:
    parser = _Text()
    parser.feed(html)
    found = set()
    for part in parser.parts:
        # Codes that carry digits (application numbers QX2024…, CHSI codes) are data, not words.
        for w in WORD.findall(CODE.sub(" ", part)):
            if w not in allowed:
                found.add(w)
    return found, parser.links


@pytest.fixture
def demo(db):
    result = load_quota_demo()
    demo_workers_load()
    return result


def _allowed_for(demo) -> set[str]:
    # The names people gave things: usernames, application numbers' letters, seed codes.
    words = set(ALLOWED)
    for username, *_ in demo.accounts:
        words.update(WORD.findall(username))
    words.add(get_user_model().objects.order_by("pk").values_list("username", flat=True).first() or "")
    # What the seeds print as is: a programme's contact (e-mail, web address) and the name of
    # the app a channel pays to (齐鲁工惠APP).
    from quotas.models import PaymentChannel, Program

    for contact in Program.objects.values_list("contact", flat=True):
        words.update(WORD.findall(contact))
    for name, label in PaymentChannel.objects.values_list("name", "account_label"):
        words.update(WORD.findall(f"{name} {label}"))
    return words


def _every_changelist() -> list[str]:
    # Also the sections the index hides from a role (reachable by URL: still in Chinese).
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    urls = []
    for model in admin.site._registry:
        try:
            urls.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
        except NoReverseMatch:
            continue
    return urls


def _crawl(client, start: str, limit: int = 120) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    queue = [start, *_every_changelist()]
    changelists: set[str] = set()
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            seen[url] = set()
            continue
        words, links = english_words(response.content.decode(), ALLOWED_NOW)
        seen[url] = words
        for href in links:
            parts = urlsplit(href)
            path = parts.path
            if not path.startswith("/admin/") or parts.netloc:
                continue
            if any(bit in path for bit in ("/logout", "/delete/", "/history/", "/password/", "download", "export")):
                continue
            is_changelist = path.count("/") == 4 and path.endswith("/")  # /admin/app/model/
            if is_changelist:
                if path in changelists:
                    continue
                changelists.add(path)
                queue.append(path)
                continue
            # One change page per model, one page of each custom view.
            model_root = "/".join(path.split("/")[:4]) + "/"
            key = model_root + ("change" if path.rstrip("/").endswith("change") else path)
            if key not in changelists:
                changelists.add(key)
                queue.append(path)
    return seen


ALLOWED_NOW: set[str] = set()


def test_every_admin_page_of_every_demo_role_is_in_chinese(demo, client):
    ALLOWED_NOW.clear()
    ALLOWED_NOW.update(_allowed_for(demo))
    users = get_user_model().objects
    problems: dict[str, dict[str, set[str]]] = {}
    opened = 0
    for username, *_ in demo.accounts:
        client.force_login(users.get(username=username))
        pages = _crawl(client, "/admin/")
        opened += len(pages)
        bad = {url: words for url, words in pages.items() if words}
        if bad:
            problems[username] = bad
        client.logout()
    assert opened > 100
    assert problems == {}
