"""The worker sees the steps after the last review on the timeline, each with a message:
money proposed by the allocation (or taken back by a rerun), the list published, the
heir of a revoked place. Built on the miniature Jinan of ``test_scenarios``."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from applications.models import Application, ApplicationEvent, ApplicationStatus, Notification
from payouts.allocation.release import award_revoke
from payouts.allocation.services import allocation_run
from payouts.models import Award, AwardStatus
from payouts.publicity.services import objection_submit, publicity_close_due, publicity_open

from .test_scenarios import Jinan

pytestmark = pytest.mark.django_db


def steps(app, action):
    return list(ApplicationEvent.objects.filter(application=app, action=action).order_by("id"))


def test_each_funded_worker_gets_one_step_naming_all_the_money_and_reruns_add_none():
    j = Jinan()
    L1, _L2 = j.apply(j.lixia_firm, [1, 2], j.b1)
    L3 = j.apply(j.lixia_firm, [3], j.b1)
    allocation_run(program=j.prog, batch=j.b1, actor=j.staff, dry_run=True)
    assert not ApplicationEvent.objects.filter(action="award_proposed").exists()

    allocation_run(program=j.prog, batch=j.b1, actor=j.staff)
    # L1 and L2 on 历下's 2 places, L3 from the pool; province shares 2/2/2 → L1, L2 only.
    [first] = steps(L1, "award_proposed")
    assert first.detail["label"] == "拟获补助：市总工会补助1000元、省总工会补助1000元、县区配套补助1000元"
    assert "公示期满且无异议后发放" in first.reason
    [third] = steps(L3, "award_proposed")
    assert third.detail["label"] == "拟获补助：市总工会补助1000元、县区配套补助1000元"
    note = Notification.objects.get(event=first)
    assert note.user == L1.worker.user and note.title.endswith(
        "拟获补助：市总工会补助1000元、省总工会补助1000元、县区配套补助1000元"
    )

    allocation_run(program=j.prog, batch=j.b1, actor=j.staff)  # nothing changed
    assert ApplicationEvent.objects.filter(action="award_proposed").count() == 3

    # The worker reads it on the status page.
    browser = Client()
    browser.force_login(L1.worker.user)
    page = browser.get(reverse("applications:detail", args=[L1.pk])).content.decode()
    assert "拟获补助：市总工会补助1000元" in page and "公示期满且无异议后发放" in page
    assert "最新进展：<strong>拟获补助" in page  # also at the top, next to the status


def test_an_earlier_approval_takes_the_place_back_and_both_workers_are_told():
    j = Jinan()
    S_late = j.apply(j.shizhong, [30], j.b1)  # 市中 has 1 place
    allocation_run(program=j.prog, batch=j.b1, actor=j.staff)
    assert steps(S_late, "award_proposed")
    # An application submitted earlier passes its last review after the run: first come,
    # first served gives it the unit's place, and the pool is empty.
    j.city_money.quotas.filter(is_pool=True).update(slots=0)
    S_early = j.apply(j.shizhong, [10], j.b1)
    allocation_run(program=j.prog, batch=j.b1, actor=j.staff)
    [lost] = steps(S_late, "award_withdrawn")
    assert "市总工会补助" in lost.detail["label"] and "递补" in lost.reason
    assert "市总工会补助" in steps(S_early, "award_proposed")[0].detail["label"]


def test_publicity_and_the_heir_of_a_revoked_place():
    j = Jinan()
    L1, L2, L3, L4, L5 = j.apply(j.lixia_firm, [1, 2, 3, 4, 5], j.b1)  # 2 unit + 2 pool; L5 waits
    allocation_run(program=j.prog, batch=j.b1, actor=j.staff)
    publicity = publicity_open(program=j.prog, batch=j.b1, actor=j.staff)
    listed = ApplicationEvent.objects.filter(action="publicity_listed")
    assert sorted(listed.values_list("application_id", flat=True)) == sorted(a.pk for a in (L1, L2, L3, L4))
    assert all(e.detail["publicity"] == publicity.pk and "公示期至" in e.reason for e in listed)
    assert not steps(L5, "award_proposed")

    award = Award.objects.get(application=L4, source=j.city_money)
    promoted = award_revoke(award=award, actor=j.staff, reason="公示期间查实非一线职工")
    assert promoted.application_id == L5.pk and promoted.status == AwardStatus.PROPOSED
    [heir] = steps(L5, "award_proposed")
    assert "市总工会补助1000元" in heir.detail["label"]


def test_period_over_tells_everyone_still_listed_and_who_is_being_checked():
    j = Jinan()
    L1, L2, L3 = j.apply(j.lixia_firm, [1, 2, 3], j.b1)
    allocation_run(program=j.prog, batch=j.b1, actor=j.staff)
    publicity = publicity_open(program=j.prog, batch=j.b1, actor=j.staff)
    entry = publicity.entries.get(application=L2)
    objection_submit(
        publicity=publicity, token=entry.token, contact_name="王某", contact_phone="13900000000", reason="非一线职工"
    )
    # L3 dropped out meanwhile (withdrew): nothing more to tell about this period.
    Application.objects.filter(pk=L3.pk).update(status=ApplicationStatus.WITHDRAWN)

    assert publicity_close_due(now=publicity.ends_at + timedelta(minutes=1)) == 1
    assert "无异议" in steps(L1, "publicity_over")[0].reason
    assert "正在核实" in steps(L2, "publicity_over")[0].reason
    assert steps(L3, "publicity_over") == []
    assert publicity_close_due(now=publicity.ends_at + timedelta(minutes=2)) == 0  # once
    assert ApplicationEvent.objects.filter(action="publicity_over").count() == 2
