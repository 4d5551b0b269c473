import pytest
from django.urls import reverse

from payouts.dashboard.selectors import dashboard_stats
from payouts.models import AllocationRun

from .factories import PLAN, application_make, awards_make, expected_for, seed

pytestmark = pytest.mark.django_db


def _unit(stats, union):
    return next(u for u in stats.units if u.union_id == union.pk)


def test_per_unit_figures_match_the_seeded_applications(jinan):
    stats = dashboard_stats(program=jinan.program, scope=jinan.city)
    for index, county in enumerate(jinan.counties):
        unit, exp = _unit(stats, county), expected_for(index)
        assert unit.name == county.name
        assert unit.applications == exp["applications"]
        assert unit.drafts == exp["drafts"]
        assert unit.in_review == exp["in_review"]
        assert unit.approved == exp["approved"]
        assert unit.awarded == exp["awarded"]
        assert unit.paid == exp["paid"]
        assert unit.rejected == exp["rejected"]
        assert unit.by_tier == {t: exp[f"tier_{t}"] for t in ("grassroots", "county", "city")}
        assert unit.money_live_yuan == exp["money_live"]
        assert unit.money_paid_yuan == exp["money_paid"]
        assert unit.quota_slots == jinan.quotas[county.pk].slots
        assert unit.quota_used == exp["quota_used"]
    assert stats.totals.applications == sum(expected_for(i)["applications"] for i in PLAN)
    assert stats.funnel[1] == ("已提交", stats.totals.applications)
    assert sum(n for _, n in stats.per_day) == stats.totals.applications
    assert sum(b.pending for b in stats.backlog) == stats.totals.in_review


def test_county_admin_scope_sees_only_its_county(jinan):
    stats = dashboard_stats(program=jinan.program, scope=jinan.counties[0])
    assert [u.union_id for u in stats.units] == [jinan.counties[0].pk]
    assert stats.totals.applications == expected_for(0)["applications"]
    other = jinan.counties[1].name
    assert all(b.union_name != other for b in stats.backlog)
    # The city tier's queue holds only the other county's application: not visible here.
    assert all(b.level != "city" for b in stats.backlog)


def test_county_admin_also_sees_the_unions_under_the_county(jinan):
    # County 0's rows alternate between its two grassroots unions (PLAN, by position).
    stats = dashboard_stats(program=jinan.program, scope=jinan.counties[0])
    rows = PLAN[0]
    expected = {}
    for j, union in enumerate(jinan.grassroots[0]):
        mine = [r for i, r in enumerate(rows) if i % 2 == j]
        expected[union.pk] = (
            sum(1 for st, _, _ in mine if st != "draft"),
            sum(1 for st, _, _ in mine if st == "in_review"),
            sum(1 for st, _, _ in mine if st in ("approved", "paid")),
            sum(1 for _, _, a in mine if a),
            sum(1 for _, t, _ in mine if t == "grassroots"),
        )
    seen = {
        u.union_id: (u.applications, u.in_review, u.approved, u.awarded, u.by_tier["grassroots"])
        for u in stats.breakdown
    }
    assert seen == expected
    assert sum(u.applications for u in stats.breakdown) == stats.totals.applications
    busiest_first = [u.applications for u in stats.breakdown]
    assert busiest_first == sorted(busiest_first, reverse=True)
    # The city sees its units only, not a second table.
    assert dashboard_stats(program=jinan.program, scope=jinan.city).breakdown == []


def test_waitlisted_counts_approved_without_award_only_after_a_real_run(jinan):
    before = dashboard_stats(program=jinan.program, scope=jinan.city)
    assert before.totals.waitlisted == 0
    AllocationRun.objects.create(program=jinan.program, status=AllocationRun.Status.DONE)
    after = dashboard_stats(program=jinan.program, scope=jinan.city)
    approved_without_award = sum(1 for rows in PLAN.values() for s, _, a in rows if s == "approved" and not a)
    assert after.totals.waitlisted == approved_without_award


def test_query_count_is_bounded_and_does_not_grow_with_data(jinan, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        dashboard_stats(program=jinan.program, scope=jinan.city)
    seed(jinan)  # twice the applications, awards and tiers
    for _ in range(5):
        app = application_make(jinan, jinan.grassroots[1][0], "paid")
        awards_make(jinan, app, "paid")
    with django_assert_max_num_queries(9):
        stats = dashboard_stats(program=jinan.program, scope=jinan.city)
    assert stats.totals.paid == 2 * sum(expected_for(i)["paid"] for i in PLAN) + 5


def test_dashboard_page_is_linked_from_admin_index_and_scoped(client, jinan, city_admin, county_admin):
    client.force_login(city_admin)
    index = client.get(reverse("admin:index"))
    assert "数据看板" in index.content.decode()
    assert reverse("admin:payouts_dashboard") in index.content.decode()
    page = client.get(reverse("admin:payouts_dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") >= 3  # three server-rendered charts (quota use is a CSS-bar table)
    assert "kozea.github.io" not in html and "cdn" not in html.lower()  # nothing fetched from outside
    total = sum(expected_for(i)["applications"] for i in PLAN)
    assert f'id="kpi-applications">{total}<' in html
    client.force_login(county_admin)
    html = client.get(reverse("admin:payouts_dashboard")).content.decode()
    assert f'id="kpi-applications">{expected_for(0)["applications"]}<' in html
    assert jinan.counties[1].name not in html


def test_dashboard_refuses_a_user_without_union(client, jinan, django_user_model):
    user = django_user_model.objects.create_user(username="staff-no-union", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:payouts_dashboard")).status_code in (302, 403)
