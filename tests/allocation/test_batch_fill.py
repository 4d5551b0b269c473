"""Jinan batch 3 ("如第一、二批次补助名额已满，第三批申请不再开放") on the miniature Jinan of
``test_scenarios``, moved to next year so that batch 3 has not opened yet.

City money: 历下 2, 市中 1, 公交集团 1, pool 2 = 6 places. Province money: 6 over three
batches, or the first 3 of batches 1 and 2 when those two batches hold 6 approved. County
matching money follows the city's and has no places of its own.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import Application, ApplicationStatus, Notification
from payouts.allocation.batch_fill import batch_fill_check, batch_fill_check_due, batch_places_left
from payouts.allocation.release import award_revoke
from payouts.allocation.services import allocation_run
from payouts.models import Award, AwardStatus
from payouts.schedule.services import scheduler_tick
from quotas.models import AuditLog

from .test_scenarios import Jinan

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year + 1


def next_year_jinan() -> Jinan:
    j = Jinan(year=YEAR)
    j.b3.skip_if_quota_filled = True
    j.b3.save()
    return j


def fill_batches_one_and_two(j: Jinan) -> None:
    j.apply(j.lixia_firm, [1, 2, 3, 4], j.b1)  # 2 on 历下's quota, 2 from the pool
    j.apply(j.shizhong, [1], j.b2, day=18, month=6)
    j.apply(j.bus, [1], j.b2, day=18, month=6)


def test_batches_one_and_two_use_every_place_so_batch_three_does_not_open():
    j = next_year_jinan()
    fill_batches_one_and_two(j)
    result = allocation_run(program=j.prog, actor=j.staff)
    # City: all 6 places awarded. Province: 6 approved in batches 1+2 -> 3 + 2, none for batch 3.
    assert batch_places_left(batch=j.b3) == {"市总工会补助": 0, "省总工会补助": 0}
    assert result.batches_closed_or_reopened == [{"batch": 3, "closed": True}]
    j.b3.refresh_from_db()
    assert j.b3.closed_as_filled_at is not None
    assert AuditLog.objects.filter(action="batch.closed_as_filled", object_id=str(j.b3.pk)).count() == 1
    # Batches 1 and 2 are never closed by it (they have no skip flag).
    j.b1.refresh_from_db()
    assert j.b1.closed_as_filled_at is None
    # A rerun changes nothing and writes no second audit row.
    assert allocation_run(program=j.prog, actor=j.staff).batches_closed_or_reopened == []
    assert AuditLog.objects.filter(action__startswith="batch.").count() == 1


def test_places_left_keep_batch_three_open():
    j = next_year_jinan()
    j.apply(j.lixia_firm, [1, 2, 3], j.b1)  # city 3 of 6; province even split 2/2/2
    result = allocation_run(program=j.prog, actor=j.staff)
    assert batch_places_left(batch=j.b3) == {"市总工会补助": 3, "省总工会补助": 2}
    assert result.batches_closed_or_reopened == []
    j.b3.refresh_from_db()
    assert j.b3.closed_as_filled_at is None


def test_a_revoked_award_reopens_batch_three_on_the_next_tick_until_it_opens():
    j = next_year_jinan()
    fill_batches_one_and_two(j)
    allocation_run(program=j.prog, actor=j.staff)
    # Nobody is waiting behind the bus company's worker: revoking frees a city place.
    bus_award = Award.objects.get(source=j.city_money, application__union_path=j.bus.path)
    assert award_revoke(award=bus_award, actor=j.staff, reason="公示期异议成立") is None
    assert Award.objects.get(pk=bus_award.pk).status == AwardStatus.REVOKED
    now = j.b3.apply_opens - timedelta(days=30)
    tick = scheduler_tick(now=now)
    assert tick["batches_filled"] == 1
    j.b3.refresh_from_db()
    assert j.b3.closed_as_filled_at is None
    assert AuditLog.objects.filter(action="batch.reopened", object_id=str(j.b3.pk)).count() == 1
    assert batch_fill_check_due(now=now) == 0  # idempotent


def test_an_opened_batch_is_left_alone():
    j = next_year_jinan()
    fill_batches_one_and_two(j)
    allocation_run(program=j.prog, actor=j.staff, dry_run=True)
    # Filled, but batch 3's window has begun: whoever applied in it keeps an open batch.
    assert batch_fill_check(program=j.prog, now=j.b3.apply_opens + timedelta(minutes=1)) == []
    j.b3.refresh_from_db()
    assert j.b3.closed_as_filled_at is None
    # A dry run wrote no awards, so before the opening the batch stays open as well.
    assert batch_fill_check(program=j.prog, now=j.b3.apply_opens - timedelta(days=1)) == []


def test_a_closed_batch_has_no_window_events_and_no_reminders():
    j = next_year_jinan()
    fill_batches_one_and_two(j)
    draft = j.apply(j.shizhong, [1], None, day=1, month=10)
    Application.objects.filter(pk=draft.pk).update(status=ApplicationStatus.DRAFT, submitted_at=None)
    allocation_run(program=j.prog, actor=j.staff)
    tick = scheduler_tick(now=j.b3.apply_closes - timedelta(hours=23))
    assert tick["windows"] == {"opened": 0, "reminded": 0, "closed": 0}
    assert not Notification.objects.filter(application=draft).exists()
    assert not AuditLog.objects.filter(action="batch.apply_opened", object_id=str(j.b3.pk)).exists()
