"""Top-ups (多重补助): a lower union's own money for its own subtree, under each rule, with
the owner's consent; the hypothesis world of ``test_properties`` extended by subtree sources."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payouts.allocation.selectors import allocation_explain
from payouts.allocation.services import allocation_run
from payouts.dashboard.selectors import dashboard_stats
from payouts.models import Award, AwardStatus, AwardVia
from quotas.models import AdminRole, AuditLog, SourceApproval, TopUpRule, UnionLevel
from quotas.services import union_admin_create
from quotas.topups import funding_source_topup_approve, funding_source_topup_propose, funding_source_topup_reject

from . import factories as f
from .test_properties import Rollback, build, reference_city
from .test_properties import world as base_world


def _manager(union, username):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password="x-Password-1")
    union_admin_create(user=user, union=union, role=AdminRole.MANAGER)
    return user


@pytest.fixture
def linyi(db):
    """Linyi in small: the city's 3 places by FCFS, 兰山区 with 兰山街道工会 and one grassroots
    union under it, and 罗庄区 beside it."""
    city = f.union("临沂市总工会", UnionLevel.CITY)
    lanshan = f.union("兰山区总工会", UnionLevel.COUNTY, city)
    street = f.union("兰山街道工会", UnionLevel.TOWNSHIP, lanshan)
    firm = f.union("临沂商城物流有限公司工会", UnionLevel.GRASSROOTS, street)
    luozhuang = f.union("罗庄区总工会", UnionLevel.COUNTY, city)
    prog = f.program(city, "linyi-topup")
    city_money = f.source(prog, "市总工会补助", 500, total_slots=3)
    # Submission order: street, firm, 罗庄, street, firm, street.
    apps = []
    for minute, unit in enumerate([street, firm, luozhuang, street, firm, street]):
        apps += f.applications(prog, unit, [f.at(8, minute)])
    return {
        "city": city,
        "street": street,
        "firm": firm,
        "luozhuang": luozhuang,
        "prog": prog,
        "city_money": city_money,
        "apps": apps,
        "owner": f.city_staff(city),
        "street_manager": _manager(street, "street-manager"),
    }


def _topup(w, rule, slots, amount=300, base=None):
    source = funding_source_topup_propose(
        program=w["prog"],
        union=w["street"],
        amount_yuan=amount,
        rule=rule,
        total_slots=slots,
        base_source=base,
        actor=w["street_manager"],
    )
    return funding_source_topup_approve(source=source, actor=w["owner"])


def _funded(source):
    return [a.application_id for a in Award.objects.filter(source=source).live().order_by("application__submitted_at")]


def test_fcfs_within_the_subtree_counts_only_its_members_and_says_so(linyi):
    apps = linyi["apps"]
    topup = _topup(linyi, TopUpRule.FCFS, 2, amount=500)
    allocation_run(program=linyi["prog"], actor=None)
    # The first two of the street's subtree (the 罗庄 worker in between does not count).
    assert _funded(topup) == [apps[0].pk, apps[1].pk]
    award = Award.objects.get(source=topup, application=apps[1])
    assert award.via == AwardVia.TOPUP
    assert award.payer_union_id == linyi["street"].pk
    assert award.explanation == "兰山街道工会补助500元（本街道第2位，本街道名额2）"
    # The third member of the street is told why not, the 罗庄 worker does not see the source.
    names = {e.source_name: e for e in allocation_explain(application=apps[3])}
    assert names[topup.name].text == "本街道名额2已用完，本街道排位第3"
    assert topup.name not in {e.source_name for e in allocation_explain(application=apps[2])}


def test_all_approved_members_without_a_cap(linyi):
    apps = linyi["apps"]
    topup = _topup(linyi, TopUpRule.ALL_APPROVED, None)
    allocation_run(program=linyi["prog"], actor=None)
    assert _funded(topup) == [a.pk for a in apps if a.pk != apps[2].pk]
    assert Award.objects.get(source=topup, application=apps[5]).explanation == (
        "兰山街道工会补助300元（本街道第5位，不限名额）"
    )


def test_only_those_funded_by_the_city_first_ten(linyi):
    """Linyi demo shape: 300 yuan for the street's first members funded by the city."""
    apps = linyi["apps"]
    topup = _topup(linyi, TopUpRule.FUNDED_BY, 10, base=linyi["city_money"])
    allocation_run(program=linyi["prog"], actor=None)
    # The city funds the first three (street, firm, 罗庄): the street's subtree holds two.
    assert _funded(linyi["city_money"]) == [apps[0].pk, apps[1].pk, apps[2].pk]
    assert _funded(topup) == [apps[0].pk, apps[1].pk]
    assert Award.objects.get(source=topup, application=apps[1]).explanation == (
        "兰山街道工会补助300元（获市总工会补助，本街道第2位，本街道名额10）"
    )
    why = {e.source_name: e.text for e in allocation_explain(application=apps[3])}
    assert why[topup.name] == "未获市总工会补助，无此项补助"
    # The dashboard counts it beside the city money: the city's view, and the street's own.
    stats = dashboard_stats(program=linyi["prog"], scope=linyi["city"])
    money = {s.name: dict(zip(AwardStatus.values, counts, strict=True)) for s, counts in stats.source_rows()}
    assert money[topup.name]["proposed"] == (2, 600)
    street_view = dashboard_stats(program=linyi["prog"], scope=linyi["street"])
    assert sum(u.live_yuan(topup.pk) for u in street_view.units) == 600


def test_pending_and_rejected_top_ups_never_allocate(linyi):
    pending = funding_source_topup_propose(
        program=linyi["prog"],
        union=linyi["street"],
        amount_yuan=300,
        rule=TopUpRule.ALL_APPROVED,
        actor=linyi["street_manager"],
    )
    assert pending.approval == SourceApproval.PENDING
    allocation_run(program=linyi["prog"], actor=None)
    assert not Award.objects.filter(source=pending).exists()
    rejected = funding_source_topup_reject(source=pending, actor=linyi["owner"], note="资金未落实")
    assert rejected.approval == SourceApproval.REJECTED
    allocation_run(program=linyi["prog"], actor=None)
    assert not Award.objects.filter(source=pending).exists()
    with pytest.raises(ValidationError):
        funding_source_topup_approve(source=rejected, actor=linyi["owner"])
    actions = list(
        AuditLog.objects.filter(object_type="FundingSource", object_id=str(pending.pk)).values_list("action", flat=True)
    )
    assert set(actions) == {"topup.propose", "topup.reject"}


def test_consent_belongs_to_the_owner_and_proposal_to_the_union_itself(linyi):
    # Another union's manager may not propose for the street; the street may not approve.
    other = _manager(linyi["luozhuang"], "luozhuang-manager")
    with pytest.raises(PermissionDenied, match="兰山街道工会的管理员"):
        funding_source_topup_propose(
            program=linyi["prog"], union=linyi["street"], amount_yuan=300, rule="all_approved", actor=other
        )
    with pytest.raises(PermissionDenied, match="下级的工会"):
        funding_source_topup_propose(
            program=linyi["prog"], union=linyi["city"], amount_yuan=300, rule="all_approved", actor=linyi["owner"]
        )
    source = funding_source_topup_propose(
        program=linyi["prog"],
        union=linyi["street"],
        amount_yuan=300,
        rule="all_approved",
        actor=linyi["street_manager"],
    )
    with pytest.raises(PermissionDenied, match="临沂市总工会"):
        funding_source_topup_approve(source=source, actor=linyi["street_manager"])
    with pytest.raises(ValidationError):
        funding_source_topup_propose(
            program=linyi["prog"], union=linyi["street"], amount_yuan=300, rule="fcfs", actor=linyi["street_manager"]
        )
    approved = funding_source_topup_approve(source=source, actor=linyi["owner"])
    assert approved.decided_by == linyi["owner"]


topup_world = st.fixed_dictionaries(
    {
        "base": base_world,
        # (node index, rule, places or None): up to three subtree sources
        "topups": st.lists(
            st.tuples(
                st.integers(0, 8), st.sampled_from(list(TopUpRule.values)), st.one_of(st.none(), st.integers(1, 3))
            ),
            max_size=3,
        ),
    }
)


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(w=topup_world)
def test_subtree_sources_match_the_rule_and_never_leave_their_subtree(w):
    try:
        with transaction.atomic():
            base = w["base"]
            prog, city_money, _prov, nodes, quotas, apps, total = build(base)
            city_got = reference_city(apps, nodes, quotas, base["pool"], total)
            expected = {}
            for i, (node_i, rule, slots) in enumerate(w["topups"]):
                node = nodes[node_i % len(nodes)]
                if rule == TopUpRule.FCFS and slots is None:
                    slots = 1
                source = funding_source_topup_propose(
                    program=prog,
                    union=node,
                    amount_yuan=100,
                    rule=rule,
                    total_slots=slots,
                    base_source=city_money if rule == TopUpRule.FUNDED_BY else None,
                    name=f"补助{i}",
                    actor=None,
                )
                funding_source_topup_approve(source=source, actor=None)
                members = [
                    a
                    for a in sorted(apps, key=lambda a: (a.submitted_at, a.pk))
                    if a.union_path.startswith(node.path) and (rule != TopUpRule.FUNDED_BY or a.pk in city_got)
                ]
                expected[source.pk] = [a.pk for a in (members if slots is None else members[:slots])]
            allocation_run(program=prog, actor=None)
            for source_pk, want in expected.items():
                got = list(
                    Award.objects.filter(source_id=source_pk).order_by("rank").values_list("application_id", flat=True)
                )
                assert got == want
            # The programme's own money is unchanged by the top-ups.
            assert {a.application_id for a in Award.objects.filter(source=city_money)} == set(city_got)
            again = allocation_run(program=prog, actor=None)
            assert all((o.created, o.updated, o.deleted) == (0, 0, 0) for o in again.sources)
            raise Rollback
    except Rollback:
        pass


def test_a_paid_top_up_holds_its_place_at_the_rerun(linyi):
    """Published awards count as used: a rerun after the 公示 does not give the place twice."""
    apps = linyi["apps"]
    topup = _topup(linyi, TopUpRule.FCFS, 2)
    allocation_run(program=linyi["prog"], actor=None)
    Award.objects.filter(source=topup, application=apps[0]).update(status="published")
    Award.objects.filter(source=topup, application=apps[1]).delete()
    # A new, earlier member of the subtree arrives: the published place stays, one place left.
    early = f.applications(linyi["prog"], linyi["firm"], [f.at(8) - timedelta(minutes=5)])[0]
    allocation_run(program=linyi["prog"], actor=None)
    assert sorted(_funded(topup)) == sorted([apps[0].pk, early.pk])
    assert Award.objects.get(source=topup, application=early).rank == 2
