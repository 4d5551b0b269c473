"""Every page runs under a Content Security Policy with no inline script (qiuxue/settings.py
``SECURE_CSP``). The browser tests run the pages' own scripts under it; these check the
header and that no template (ours or the charts') slips an inline script back in."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from payouts.dashboard.charts import _render

ROOT = Path(__file__).resolve().parent.parent
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def _templates() -> list[Path]:
    found = list((ROOT / "templates").rglob("*.html"))
    for app in ("applications", "reviews", "payouts", "quotas"):
        found += list((ROOT / app).rglob("templates/**/*.html"))
    return found


def test_no_template_has_an_inline_script_or_handler():
    templates = _templates()
    assert len(templates) > 20  # the walk found the templates at all
    offenders = [
        f"{p.relative_to(ROOT)}: {m.group(0)[:60]}"
        for p in templates
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER)
        for m in pattern.finditer(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_patterns_catch_what_they_are_for():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/x.js" defer></script>')
    assert INLINE_HANDLER.search('<button type="button" onclick="window.print()">')
    assert not INLINE_HANDLER.search('<button type="button" data-print>')


def test_charts_carry_no_script():
    import pygal

    chart = pygal.Bar(js=[])
    chart.add("申请", [3, 5])
    assert "<script" in chart.render(is_unicode=True)  # pygal writes one by itself
    svg = _render(chart)
    assert "<script" not in svg and "<svg" in svg and "申请" in svg


@pytest.mark.django_db
def test_pages_send_the_policy(client):
    response = client.get(reverse("applications:login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert settings.SECURE_CSP["script-src"] == ["'self'"]
