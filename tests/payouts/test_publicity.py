"""Publicity: publishing, the public page (masked, no numbers), objections, the payout gate."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications.models import ApplicationEvent, ApplicationStatus
from payouts.models import Award, AwardStatus, Objection, ObjectionStatus, PublicityStatus
from payouts.payout.services import payout_list_build
from payouts.publicity.services import (
    objection_dismiss,
    objection_submit,
    objection_uphold,
    publicity_close_due,
    publicity_open,
)
from quotas.models import AuditLog

from .conftest import end_period, publish_and_end, staff

pytestmark = pytest.mark.django_db

# Anything that looks like a personal number: 15/18-digit IDs, 16-19 digit cards,
# 11-digit mobiles, birth dates (19880304 / 1988-03-04 / 1988年3月4日).
PERSONAL_NUMBER = re.compile(
    r"(?<!\d)(\d{17}[\dXx]|\d{15}|\d{16,19}|1[3-9]\d{9})(?!\d)|19[5-9]\d-?0?3-?0?4|1988年0?3月0?4日"
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def test_open_publishes_proposed_awards_for_the_programme_days(scenario, city_finance):
    before = timezone.now()
    publicity = publicity_open(program=scenario.program, batch=scenario.batch, actor=city_finance)
    assert publicity.status == PublicityStatus.OPEN
    assert publicity.ends_at - publicity.starts_at == timedelta(days=7)
    assert publicity.starts_at >= before
    assert set(Award.objects.values_list("status", flat=True)) == {AwardStatus.PUBLISHED}
    assert publicity.entries.count() == len(scenario.applications)
    assert AuditLog.objects.filter(action="publicity.open", object_id=str(publicity.pk)).exists()
    with pytest.raises(ValidationError):
        publicity_open(program=scenario.program, batch=scenario.batch, actor=city_finance)


def test_public_page_shows_masked_names_and_no_personal_numbers(scenario, city_finance):
    publicity = publicity_open(program=scenario.program, batch=scenario.batch, actor=city_finance)
    response = Client().get(reverse("payouts:publicity_public", args=[publicity.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "张*丰" in html and "张三丰" not in html
    assert "李*" in html and "李四" not in html
    assert "山东开放大学" in html and "机械设计与制造" in html and "大专" in html
    assert PERSONAL_NUMBER.search(html) is None, PERSONAL_NUMBER.search(html)
    for id_number, card in scenario.numbers.values():
        assert id_number not in html and card not in html and card[-4:] + "<" not in html
    # Lines are named by opaque tokens, never by database ids.
    entry = publicity.entries.first()
    assert entry.token in html
    assert f"line={entry.application_id}" not in html
    # The countdown: server-rendered text (works without JS) plus the local script.
    assert "距公示结束还有 6 天" in html or "距公示结束还有 7 天" in html
    assert 'data-ends-at="' in html and "payouts/publicity.js" in html
    assert "http://" not in html.replace("http://evil.example", "")  # no CDN


def test_objection_form_is_csrf_protected_and_throttled(scenario, city_finance):
    publicity = publicity_open(program=scenario.program, batch=scenario.batch, actor=city_finance)
    url = reverse("payouts:publicity_public", args=[publicity.pk])
    token = publicity.entries.order_by("position").first().token
    data = {
        "token": token,
        "contact_name": "热心群众",
        "contact_phone": "13912345678",
        "reason": "此人并非一线职工，系公司副总经理。",
    }

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url, data).status_code == 403
    assert not Objection.objects.exists()

    page = strict.get(url)
    csrf = page.cookies["csrftoken"].value
    response = strict.post(url, {**data, "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.application_id == publicity.entries.get(token=token).application_id
    assert objection.status == ObjectionStatus.PENDING

    # A token from nowhere is refused; so is the raw database id.
    bad = strict.post(url, {**data, "token": str(objection.application_id), "csrfmiddlewaretoken": csrf})
    assert bad.status_code == 200 and Objection.objects.count() == 1

    for _ in range(4):
        assert strict.post(url, {**data, "csrfmiddlewaretoken": csrf}).status_code == 302
    assert Objection.objects.count() == 5
    throttled = strict.post(url, {**data, "csrfmiddlewaretoken": csrf})
    assert throttled.status_code == 429
    assert "提交过于频繁" in throttled.content.decode()
    assert Objection.objects.count() == 5


def test_objection_after_the_period_is_refused(scenario, city_finance):
    publicity = publish_and_end(scenario, city_finance)
    with pytest.raises(ValidationError):
        objection_submit(
            publicity=publicity,
            token=publicity.entries.first().token,
            contact_name="甲",
            contact_phone="13912345678",
            reason="理由理由理由理由理由",
        )
    html = Client().get(reverse("payouts:publicity_public", args=[publicity.pk])).content.decode()
    assert "公示期已结束" in html and '<form method="post"' not in html


def test_objections_block_payout_until_resolved(scenario, city_finance):
    publicity = publicity_open(program=scenario.program, batch=scenario.batch, actor=city_finance)
    with pytest.raises(ValidationError, match="公示期"):
        payout_list_build(
            program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
        )
    objection = objection_submit(
        publicity=publicity,
        token=publicity.entries.order_by("position").last().token,
        contact_name="甲",
        contact_phone="13912345678",
        reason="材料与本人不符，请核实。",
    )
    end_period(publicity)
    with pytest.raises(ValidationError, match="异议未处理"):
        payout_list_build(
            program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
        )
    # Deciding an objection is the owner's managers' call, not finance's (quotas.permissions).
    with pytest.raises(PermissionDenied, match="管理员可以处理公示异议"):
        objection_dismiss(objection=objection, actor=city_finance, note="经核实材料真实。")
    objection_dismiss(objection=objection, actor=staff(scenario.city, "manager", "city-mgr"), note="经核实材料真实。")
    built = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    assert built.row_count == len(scenario.applications)


def test_upheld_objection_revokes_awards_and_application(scenario, city_finance):
    publicity = publicity_open(program=scenario.program, batch=scenario.batch, actor=city_finance)
    target = scenario.applications[2]
    entry = publicity.entries.get(application=target)
    objection = objection_submit(
        publicity=publicity,
        token=entry.token,
        contact_name="乙",
        contact_phone="13912345678",
        reason="此人为单位副总经理。",
    )
    manager = staff(scenario.city, "manager", "city-manager")
    objection_uphold(objection=objection, actor=manager, note="经核实，异议成立。")

    target.refresh_from_db()
    assert target.status == ApplicationStatus.REVOKED
    assert set(Award.objects.filter(application=target).values_list("status", flat=True)) == {AwardStatus.REVOKED}
    assert ApplicationEvent.objects.filter(application=target, action="revoke", to_status="revoked").exists()
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.UPHELD and objection.decided_by == manager
    # Others are untouched and a second decision is refused.
    assert Award.objects.filter(application=scenario.applications[0], status=AwardStatus.PUBLISHED).count() == 4
    with pytest.raises(ValidationError):
        objection_dismiss(objection=objection, actor=manager, note="x")

    end_period(publicity)
    built = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    assert target.pk not in set(built.lines.values_list("award__application_id", flat=True))


def test_close_due_is_idempotent(scenario, city_finance):
    publicity = publicity_open(program=scenario.program, batch=scenario.batch, actor=city_finance)
    assert publicity_close_due(now=timezone.now()) == 0
    later = publicity.ends_at + timedelta(seconds=1)
    assert publicity_close_due(now=later) == 1
    assert publicity_close_due(now=later) == 0
    publicity.refresh_from_db()
    assert publicity.status == PublicityStatus.CLOSED and publicity.closed_at == later


def test_admin_decides_objection(scenario, city_finance, client):
    publicity = publicity_open(program=scenario.program, batch=scenario.batch, actor=city_finance)
    objection = objection_submit(
        publicity=publicity,
        token=publicity.entries.first().token,
        contact_name="丙",
        contact_phone="13912345678",
        reason="请核实其学历层次。",
    )
    # Finance sees the objection and is told who decides; the form is not offered.
    client.force_login(city_finance)
    page = client.get(reverse("admin:payouts_objection_change", args=[objection.pk])).content.decode()
    assert "提交处理结果" not in page and "管理员可以处理公示异议" in page
    refused = client.post(
        reverse("admin:payouts_objection_decide", args=[objection.pk]),
        {"decision": "dismissed", "note": "学历层次无误。"},
        follow=True,
    )
    assert "只有本方案主办工会（济南市总工会）及上级工会的管理员可以处理公示异议" in refused.content.decode()
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.PENDING

    manager = staff(scenario.city, "manager", "city-mgr")
    client.force_login(manager)
    page = client.get(reverse("admin:payouts_objection_change", args=[objection.pk]))
    assert page.status_code == 200 and "处理异议" in page.content.decode()
    assert "13912345678" not in page.content.decode()  # masked on screen
    response = client.post(
        reverse("admin:payouts_objection_decide", args=[objection.pk]),
        {"decision": "dismissed", "note": "学历层次无误。"},
    )
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.DISMISSED
    assert AuditLog.objects.filter(action="objection.dismiss", actor=manager).exists()


def test_manager_deciding_sees_the_objectors_full_phone_audited_finance_does_not(scenario, city_finance, client):
    publicity = publicity_open(program=scenario.program, batch=scenario.batch, actor=city_finance)
    objection = objection_submit(
        publicity=publicity,
        token=publicity.entries.first().token,
        contact_name="丙",
        contact_phone="13912345678",
        reason="请核实其学历层次。",
    )
    url = reverse("admin:payouts_objection_phone", args=[objection.pk])
    # Finance may see the objection but not decide it: no button, and the POST is refused.
    client.force_login(city_finance)
    page = client.get(reverse("admin:payouts_objection_change", args=[objection.pk])).content.decode()
    assert "显示完整号码" not in page
    refused = client.post(url, follow=True).content.decode()
    assert "13912345678" not in refused and "管理员可以处理公示异议" in refused
    assert not AuditLog.objects.filter(action="objection.phone_view").exists()

    manager = staff(scenario.city, "manager", "city-mgr")
    client.force_login(manager)
    page = client.get(reverse("admin:payouts_objection_change", args=[objection.pk])).content.decode()
    assert "显示完整号码" in page and "13912345678" not in page  # masked until asked
    assert client.get(url).status_code == 302  # a GET (link, prefetch) never reveals it
    assert not AuditLog.objects.filter(action="objection.phone_view").exists()
    shown = client.post(url)
    assert shown.status_code == 200 and 'href="tel:13912345678"' in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    log = AuditLog.objects.get(action="objection.phone_view")
    assert log.actor == manager and log.object_id == str(objection.pk)
