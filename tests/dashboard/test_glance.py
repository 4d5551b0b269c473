"""The dashboard reads at a glance (issue 18): quota use as a sorted table with bars and a
"其他" line, the pool in the totals, places taken / left for an at-submission programme,
and a province comparing its cities' programmes, scoped by ``may_view_dashboard``."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import SeatStatus
from payouts.dashboard.province import province_comparison
from payouts.dashboard.selectors import dashboard_stats, programs_visible_to
from payouts.models import Award, AwardStatus, AwardVia
from quotas.models import AllocationMode, Quota, UnionLevel
from quotas.services import union_create

from .factories import PLAN, admin_make, application_make, city_make, expected_for, seed

pytestmark = pytest.mark.django_db


def _pool(c, slots: int) -> Quota:
    pool = Quota.objects.get(source=c.sources["city"], is_pool=True)
    pool.slots = slots
    pool.save(update_fields=["slots"])
    return pool


def test_quota_bars_sorted_with_other_line_and_the_pool_in_the_total(jinan):
    _pool(jinan, 500)
    # One applicant of 市中区 served by the pool (调剂): the pool's use counts it.
    app = application_make(jinan, jinan.grassroots[1][0], "approved")
    Award.objects.create(
        application=app,
        source=jinan.sources["city"],
        batch=jinan.batch,
        amount_yuan=1000,
        via=AwardVia.POOL,
        payer_union=jinan.city,
        status=AwardStatus.PROPOSED,
    )
    stats = dashboard_stats(program=jinan.program, scope=jinan.city)
    assert stats.pool is not None and (stats.pool.quota_slots, stats.pool.quota_used) == (500, 1)
    assert stats.totals.quota_slots == 5 + 3 + 500  # the pool is in the 合计
    bars = stats.quota_bars()
    assert [b.name for b in bars] == ["历下区总工会", "市中区总工会", "全市调剂名额"]  # most slots first, pool last
    assert bars[0].slots == 5 and bars[0].used == expected_for(0)["awarded"]
    assert 0 < bars[0].used_pct <= 100
    top1 = stats.quota_bars(top=1)
    assert [b.name for b in top1] == ["历下区总工会", "其他1个单位", "全市调剂名额"]
    assert top1[1].slots == 3 and top1[1].units == 1
    # A county admin sees neither the city's pool nor its slots.
    county = dashboard_stats(program=jinan.program, scope=jinan.counties[0])
    assert county.pool is None and county.totals.quota_slots == 5


def test_page_shows_the_quota_table_with_bars_and_total_with_pool(client, jinan, city_admin):
    _pool(jinan, 500)
    client.force_login(city_admin)
    html = client.get(reverse("admin:payouts_dashboard")).content.decode()
    assert 'id="quota-table"' in html and 'class="qbar-used" style="width:' in html
    assert 'id="quota-total-slots">508<' in html
    assert 'data-unit="全市调剂名额"' in html


def test_at_submission_programme_shows_places_taken_and_left_and_the_waitlist_by_day(client, jinan, city_admin):
    program = jinan.program
    program.allocation_mode = AllocationMode.AT_SUBMISSION
    program.save(update_fields=["allocation_mode"])
    # Places: the smallest own (non-matching) source's slots: 8 here.
    jinan.sources["province"].total_slots = 8
    jinan.sources["province"].save(update_fields=["total_slots"])
    now = timezone.now()
    for i in range(8):
        app = application_make(jinan, jinan.grassroots[0][0], "in_review", submitted_at=now - timedelta(days=2))
        app.seat_status, app.seat_rank = SeatStatus.PLACED, i + 1
        app.save(update_fields=["seat_status", "seat_rank"])
    for i in range(3):
        app = application_make(jinan, jinan.grassroots[1][0], "in_review", submitted_at=now - timedelta(days=1))
        app.seat_status, app.seat_rank = SeatStatus.WAITLISTED, i + 1
        app.save(update_fields=["seat_status", "seat_rank"])
    stats = dashboard_stats(program=program, scope=jinan.city)
    seats = stats.seats
    assert (seats.capacity, seats.placed, seats.left, seats.waitlisted) == (8, 8, 0, 3)
    assert [(p, w) for _, p, w in seats.per_day] == [(8, 0), (0, 3)]
    client.force_login(city_admin)
    html = client.get(reverse("admin:payouts_dashboard")).content.decode()
    assert 'id="seats-placed">8<' in html and 'id="seats-left">0<' in html and 'id="seats-waitlisted">3<' in html
    assert 'id="chart-seats"><svg' in html.replace("\n", "")


@pytest.fixture
def province():
    shandong = union_create(name="山东省总工会", code="370000-t", level=UnionLevel.PROVINCE)
    jinan = seed(city_make(parent=shandong, name="济南市总工会"))
    linyi = city_make(parent=shandong, name="临沂市总工会")
    linyi.program.name = "2024年临沂市求学圆梦行动"
    linyi.program.save(update_fields=["name"])
    seed(linyi)
    seed(linyi)  # twice Jinan's figures
    return shandong, jinan, linyi


def test_province_compares_its_cities_programmes_per_city_and_per_source(province):
    shandong = province[0]
    comparison = province_comparison(scope=shandong, programs=list(programs_visible_to(scope=shandong)))
    by_owner = {line.program.owner_union.name: line for line in comparison.lines}
    assert set(by_owner) == {"济南市总工会", "临沂市总工会"}
    applications = sum(expected_for(i)["applications"] for i in PLAN)
    awarded = sum(expected_for(i)["awarded"] for i in PLAN)
    paid = sum(expected_for(i)["paid"] for i in PLAN)
    assert by_owner["济南市总工会"].applications == applications
    assert by_owner["临沂市总工会"].applications == 2 * applications
    # Each awarded application holds three awards (province, city, county money): one person.
    assert by_owner["济南市总工会"].awarded == awarded and by_owner["临沂市总工会"].awarded == 2 * awarded
    assert by_owner["济南市总工会"].paid == paid
    sources = {s.source.name: s for s in by_owner["济南市总工会"].sources}
    assert set(sources) == {"省总工会补助", "市总工会补助", "县区配套"}  # every FundingSource, generically
    assert sources["市总工会补助"].awarded == awarded and sources["市总工会补助"].yuan == awarded * 1000
    assert by_owner["济南市总工会"].yuan == 3 * awarded * 1000
    assert comparison.totals["applications"] == 3 * applications


def test_province_page_for_its_manager_only(client, province):
    shandong, jinan, linyi = province
    client.force_login(admin_make(shandong))
    html = client.get(reverse("admin:payouts_dashboard")).content.decode()
    assert 'id="province-table"' in html and "济南市总工会" in html and "临沂市总工会" in html
    assert 'id="province-source-table"' in html
    # A city manager gets its own programme, no comparison and nothing of the other city.
    client.force_login(admin_make(jinan.city))
    html = client.get(reverse("admin:payouts_dashboard")).content.decode()
    assert 'id="province-table"' not in html and linyi.program.name not in html


def test_page_reads_a_snapshot_at_most_max_age_old_with_the_time_shown(client, jinan, city_admin, settings):
    from django.core.cache import cache

    from payouts.dashboard.snapshots import dashboard_snapshots_refresh

    cache.clear()
    settings.DASHBOARD_MAX_AGE_SECONDS = 60
    client.force_login(city_admin)
    total = sum(expected_for(i)["applications"] for i in PLAN)
    first = client.get(reverse("admin:payouts_dashboard")).content.decode()
    assert f'id="kpi-applications">{total}<' in first and 'id="dash-computed-at"' in first
    application_make(jinan, jinan.grassroots[0][0], "in_review")
    # Within the age limit the page shows the snapshot (the exact figures as of its time)…
    assert f'id="kpi-applications">{total}<' in client.get(reverse("admin:payouts_dashboard")).content.decode()
    # …and the beat refresh brings the new application in.
    assert dashboard_snapshots_refresh() >= 1
    assert f'id="kpi-applications">{total + 1}<' in client.get(reverse("admin:payouts_dashboard")).content.decode()
    # With no age allowed, every view is live.
    settings.DASHBOARD_MAX_AGE_SECONDS = 0
    application_make(jinan, jinan.grassroots[0][0], "in_review")
    assert f'id="kpi-applications">{total + 2}<' in client.get(reverse("admin:payouts_dashboard")).content.decode()


def test_beat_refreshes_the_province_comparison(province, settings):
    from django.core.cache import cache

    from payouts.dashboard.snapshots import dashboard_snapshots_refresh, province_snapshot

    cache.clear()
    settings.DASHBOARD_MAX_AGE_SECONDS = 60
    shandong, jinan, _linyi = province
    programs = list(programs_visible_to(scope=shandong))
    before = province_snapshot(scope=shandong, programs=programs)
    application_make(jinan, jinan.grassroots[0][0], "in_review")
    assert province_snapshot(scope=shandong, programs=programs).computed_at == before.computed_at
    assert dashboard_snapshots_refresh() == 3  # two owners and the province above them
    after = province_snapshot(scope=shandong, programs=programs)
    assert after.comparison.totals["applications"] == before.comparison.totals["applications"] + 1
