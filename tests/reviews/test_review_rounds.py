"""Review rounds that lose nobody (issue 12).

Linyi 2022 reviews in two rounds (5 May - 10 Jun, 1 Nov - 9 Dec) while applications come in
all year: an application unfinished when the first round closes waits at its tier and is
reviewable again when the second opens. When no round is left, the programme owner's
manager decides it at whatever tier it waits, with a reason, audited; the overview lists
those stranded applications.

Rounds are moved in time by updating their rows (the clock is the real one): "round 2
opens" is ``opens`` set to the past.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import ApplicationStatus
from quotas.models import AdminRole, AuditLog, ReviewRound
from reviews import services
from reviews.models import DecisionKind, ReviewDecision
from reviews.services import ReviewRefused

from .conftest import make_admin, make_program, make_submitted, make_worker

S = ApplicationStatus
TZ = ZoneInfo("Asia/Shanghai")
RESUME = "将在第二轮审核期（11月1日起）继续审核"


def _linyi_like(owner, *, tiers=None):
    """Applications all year; round 1 over, round 2 on 1 November next year (the seed's date)."""
    program, batch = make_program(owner)
    if tiers:
        program.review_tiers = tiers
        program.save(update_fields=["review_tiers"])
    now = timezone.now()
    next_year = timezone.localdate().year + 1
    ReviewRound.objects.create(
        program=program, number=1, opens=now - timedelta(days=40), closes=now - timedelta(days=1)
    )
    ReviewRound.objects.create(
        program=program,
        number=2,
        opens=datetime(next_year, 11, 1, tzinfo=TZ),
        closes=datetime(next_year, 12, 9, 23, 59, 59, tzinfo=TZ),
    )
    return program, batch


def _stranded(owner, *, tiers=None):
    """One round, over, and none after it."""
    program, batch = make_program(owner)
    if tiers:
        program.review_tiers = tiers
        program.save(update_fields=["review_tiers"])
    now = timezone.now()
    ReviewRound.objects.create(
        program=program, number=1, opens=now - timedelta(days=40), closes=now - timedelta(days=1)
    )
    return program, batch


def _open_round_two(program):
    ReviewRound.objects.filter(program=program, number=2).update(opens=timezone.now() - timedelta(minutes=1))


@pytest.mark.django_db
def test_an_application_unfinished_when_round_one_closes_waits_at_its_tier_and_continues_in_round_two(tree):
    program, batch = _linyi_like(tree.city)
    # Submitted on the last day of round 1 (the 10 June case), batch windows would say the
    # same: the batch's own review window is not what decides once the programme has rounds.
    app = make_submitted(
        make_worker(tree.grassroots_a1), (program, batch), submitted_at=timezone.now() - timedelta(days=2)
    )
    grassroots, township = make_admin(tree.grassroots_a1), make_admin(tree.township_a)
    ReviewRound.objects.filter(program=program, number=1).update(closes=timezone.now() + timedelta(hours=1))
    services.application_approve(application=app, reviewer=grassroots, reason="同意")
    ReviewRound.objects.filter(program=program, number=1).update(closes=timezone.now() - timedelta(minutes=1))

    # Round 1 closed: the township is refused, and told when the application moves again.
    with pytest.raises(ReviewRefused, match=RESUME):
        services.application_approve(application=app, reviewer=township, reason="同意")
    app.refresh_from_db()
    assert (app.status, app.current_tier_id) == (S.IN_REVIEW, tree.township_a.pk)  # waits, nothing lost
    assert app.review_decisions.count() == 1

    # Round 2 opens: the same tier decides, as in any round (no override, no special record).
    _open_round_two(program)
    decision = services.application_approve(application=app, reviewer=township, reason="第二轮同意")
    app.refresh_from_db()
    assert decision.window_override is False and decision.tier_union_id == tree.township_a.pk
    assert app.current_tier_id == tree.county_a.pk
    assert not AuditLog.objects.filter(action__in=["review.window_override", "review.stranded_decide"]).exists()


@pytest.mark.django_db
def test_between_rounds_no_override_decides_a_lower_tier(tree):
    # A later round exists: the application is not stranded, so even the owner's manager
    # cannot reach down to a lower tier; that tier reviews it when round 2 opens.
    program, batch = _linyi_like(tree.city)
    app = make_submitted(make_worker(tree.grassroots_a1), (program, batch))
    city_manager = make_admin(tree.city, AdminRole.MANAGER)
    with pytest.raises(ReviewRefused, match="不能越级"):
        services.application_approve(application=app, reviewer=city_manager, override_window=True, override_reason="急")
    app.refresh_from_db()
    assert app.current_tier_id == tree.grassroots_a1.pk


@pytest.mark.django_db
def test_reviewer_and_worker_pages_say_when_review_continues(client, tree):
    program, batch = _linyi_like(tree.city)
    app = make_submitted(make_worker(tree.grassroots_a1), (program, batch))
    client.force_login(make_admin(tree.grassroots_a1))
    review_page = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert RESUME in review_page
    client.force_login(app.worker.user)
    worker_page = client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    assert RESUME in worker_page and "无需重新提交" in worker_page


@pytest.fixture
def district_programme(tree):
    """Run by a district federation (Xian'an-like): county_a owns it; tiers below it."""
    return _stranded(tree.county_a, tiers=["grassroots", "township", "county"])


@pytest.mark.django_db
def test_stranded_application_is_decided_at_a_lower_tier_by_the_owners_manager_with_a_reason(tree, district_programme):
    app = make_submitted(make_worker(tree.grassroots_a1), district_programme)
    assert app.review_chain == [tree.grassroots_a1.pk, tree.township_a.pk, tree.county_a.pk]
    owner_manager = make_admin(tree.county_a, AdminRole.MANAGER)
    owner_reviewer = make_admin(tree.county_a, AdminRole.REVIEWER)
    sibling_manager = make_admin(tree.county_b, AdminRole.MANAGER)  # a sibling district
    township_manager = make_admin(tree.township_a, AdminRole.MANAGER)  # below the owner

    # The tier itself cannot decide any more, and is told who can.
    with pytest.raises(ReviewRefused, match="审核期已全部结束，须由历下区总工会或其上级工会的管理员"):
        services.application_approve(application=app, reviewer=make_admin(tree.grassroots_a1))
    # The owner's manager without asking for the override: refused, with the way to do it.
    with pytest.raises(ReviewRefused, match="请勾选“审核期外办理”并填写原因"):
        services.application_approve(application=app, reviewer=owner_manager)
    # ... asking without a reason: refused.
    with pytest.raises(ReviewRefused, match="必须填写原因"):
        services.application_approve(application=app, reviewer=owner_manager, override_window=True, override_reason=" ")
    # A reviewer (not a manager) of the owner, a manager below the owner, a sibling district.
    for user, message in (
        (owner_reviewer, "不能越级"),
        (township_manager, "不能越级"),
        (sibling_manager, "不在您的管辖范围内"),
    ):
        with pytest.raises(ReviewRefused, match=message):
            services.application_approve(application=app, reviewer=user, override_window=True, override_reason="急")
    app.refresh_from_db()
    assert app.current_tier_id == tree.grassroots_a1.pk
    assert not ReviewDecision.objects.filter(application=app).exists()
    assert not AuditLog.objects.filter(action="review.stranded_decide").exists()

    decision = services.application_approve(
        application=app,
        reviewer=owner_manager,
        override_window=True,
        override_reason="审核期内系统故障，基层工会已书面确认",
    )
    app.refresh_from_db()
    # Decided *at* the grassroots tier, by the owner's manager: the chain goes on from there.
    assert app.current_tier_id == tree.township_a.pk and app.status == S.IN_REVIEW
    assert (decision.tier_union_id, decision.reviewer_id) == (tree.grassroots_a1.pk, owner_manager.pk)
    assert decision.decision == DecisionKind.APPROVE and decision.window_override is True
    assert decision.override_reason == "审核期内系统故障，基层工会已书面确认"
    assert decision.event.tier_id == tree.grassroots_a1.pk
    assert decision.event.detail["decided_by_union"] == "历下区总工会"
    log = AuditLog.objects.get(action="review.stranded_decide")
    assert (log.actor_id, log.object_id) == (owner_manager.pk, str(app.pk))
    assert log.detail["reason"] == "审核期内系统故障，基层工会已书面确认"
    assert log.detail["tier_id"] == tree.grassroots_a1.pk and log.detail["event_id"] == decision.event_id

    # The city above the owner may do the same, and a return or a rejection works alike.
    city_manager = make_admin(tree.city, AdminRole.MANAGER)
    services.application_reject(
        application=app, reviewer=city_manager, reason="非一线职工", override_window=True, override_reason="期满代办"
    )
    app.refresh_from_db()
    assert app.status == S.REJECTED
    assert ReviewDecision.objects.get(application=app, decision=DecisionKind.REJECT).tier_union_id == tree.township_a.pk
    assert AuditLog.objects.filter(action="review.stranded_decide").count() == 2


@pytest.mark.django_db
def test_overview_lists_stranded_applications_with_a_link_to_each(client, tree, district_programme):
    stranded = [make_submitted(make_worker(tree.grassroots_a1), district_programme) for _ in range(2)]
    waiting = make_submitted(make_worker(tree.grassroots_a2), _linyi_like(tree.county_a))
    open_now = make_submitted(make_worker(tree.grassroots_a2), make_program(tree.county_a))
    outside = make_submitted(make_worker(tree.grassroots_b), _stranded(tree.county_b))  # another district

    client.force_login(make_admin(tree.county_a, AdminRole.MANAGER))
    page = client.get(reverse("admin:reviews_reviewoverview_changelist"))
    data = page.context["overview"]
    assert (data["total"], data["overdue"], data["waiting"]) == (4, 2, 1)
    assert [a.pk for a in data["stranded"]] == [a.pk for a in stranded]
    html = page.content.decode()
    section = html[html.index('id="stranded"') :]
    for app in stranded:
        assert reverse("admin:applications_application_change", args=[app.pk]) in section
    for app in (waiting, open_now, outside):
        assert reverse("admin:applications_application_change", args=[app.pk]) not in section


@pytest.mark.django_db
def test_review_page_offers_the_stranded_override_to_the_owners_manager_and_decides(client, tree, district_programme):
    app = make_submitted(make_worker(tree.grassroots_a1), district_programme)
    url = reverse("admin:applications_application_change", args=[app.pk])
    client.force_login(make_admin(tree.county_b, AdminRole.MANAGER))
    assert client.get(url).status_code == 404  # the sibling district does not even see it

    manager = make_admin(tree.county_a, AdminRole.MANAGER)
    client.force_login(manager)
    html = client.get(url).content.decode()
    assert 'name="approve-override_window"' in html and "可代甲公司工会办理" in html
    refused = client.post(url, {"decision": "approve", "approve-override_window": "on"}, follow=True)
    assert "必须填写原因" in refused.content.decode()
    done = client.post(
        url,
        {"decision": "approve", "approve-override_window": "on", "approve-override_reason": "期满代办"},
        follow=True,
    )
    assert "已办理" in done.content.decode()
    app.refresh_from_db()
    assert app.current_tier_id == tree.township_a.pk
    assert AuditLog.objects.get(action="review.stranded_decide").actor == manager


@pytest.mark.django_db
def test_demo_sets_linyis_two_rounds_and_jinan_city_can_unblock_its_stranded_applications(client):
    from datetime import date

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils.timezone import localdate

    from quotas.models import Program
    from reviews.flags import flag_codes_for

    call_command("load_demo")
    linyi = Program.objects.get(slug="linyi-2022")
    assert [(localdate(r.opens), localdate(r.closes)) for r in linyi.review_rounds.all()] == [
        (date(2022, 5, 5), date(2022, 6, 10)),
        (date(2022, 11, 1), date(2022, 12, 9)),
    ]
    # Jinan 2024's windows are over and it has no round to come: its city overview lists
    # the stranded applications, and jinan_city decides one where it waits.
    jinan_city = get_user_model().objects.get(username="jinan_city")
    client.force_login(jinan_city)
    page = client.get(reverse("admin:reviews_reviewoverview_changelist"))
    data = page.context["overview"]
    jinan = [a for a in data["stranded"] if a.program.slug == "jinan-2024"]
    assert jinan and data["overdue"] == len(data["stranded"])
    lower = next(a for a in jinan if a.current_tier_id != jinan_city.union_admin.union_id)
    assert reverse("admin:applications_application_change", args=[lower.pk]) in page.content.decode()
    decision = services.application_approve(
        application=lower,
        reviewer=jinan_city,
        acknowledged_flags=flag_codes_for(lower),
        override_window=True,
        override_reason="审核期已过，区县工会已书面确认",
    )
    assert decision.tier_union_id == lower.current_tier_id and decision.window_override


@pytest.mark.django_db
def test_the_owners_manager_adds_a_review_round_in_the_admin_and_it_is_audited(client, tree):
    program, _ = make_program(tree.city)
    other, _ = make_program(tree.other_city)
    client.force_login(make_admin(tree.city, AdminRole.MANAGER))
    add = reverse("admin:quotas_reviewround_add")
    form = client.get(add).context["adminform"].form
    offered = {int(str(pk)) for pk, _ in form.fields["program"].choices if pk}
    assert program.pk in offered and other.pk not in offered  # only programmes it owns
    response = client.post(
        add,
        {
            "program": program.pk,
            "number": "2",
            "opens_0": "2026-11-01",
            "opens_1": "00:00:00",
            "closes_0": "2026-12-09",
            "closes_1": "23:59:59",
        },
    )
    assert response.status_code == 302
    created = ReviewRound.objects.get(program=program, number=2)
    log = AuditLog.objects.get(action="reviewround.create")
    assert log.object_id == str(created.pk) and log.detail["after"]["number"] == 2
