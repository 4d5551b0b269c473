"""The seeds' rules, on small worlds whose results are worked out by hand in the comments."""

import pytest

from applications.models import Application, ApplicationStatus, SeatStatus
from applications.services import application_withdraw
from applications.workflow import Action, application_transition
from payouts.allocation.release import award_revoke
from payouts.allocation.selectors import allocation_explain, quota_usage
from payouts.allocation.services import allocation_run
from payouts.models import Award, AwardStatus, AwardVia
from quotas.models import AllocationMode, BatchSplit, PayerRule, UnionLevel

from . import factories as f

pytestmark = pytest.mark.django_db


def live(source):
    return Award.objects.filter(source=source).live()


def names(qs):
    return sorted(qs.values_list("application__worker__name", flat=True))


def who(apps):
    return sorted(a.worker.name for a in apps)


class Jinan:
    """Jinan 2024 in miniature: 历下 2 slots, 市中 1, 公交集团 1, pool 2 (city total 6);
    province 6 over three batches, "batches 1+2 full → first 3 of each"; county matching.

    ``today_in_batch=N``: the calendar stands at batch N's allocation, the later batches'
    windows have not closed (they keep their whole province share); None: every window is
    over (2024 seen from today), so a batch with fewer approved than its share passes the
    rest on."""

    def __init__(self, year: int = 2024, today_in_batch: int | None = 1):
        self.year = year
        self.province = f.union("山东省总工会", UnionLevel.PROVINCE)
        self.city = f.union("济南市总工会", UnionLevel.CITY, self.province)
        self.lixia = f.union("历下区总工会", UnionLevel.COUNTY, self.city)
        self.lixia_firm = f.union("历下某公司工会", UnionLevel.GRASSROOTS, self.lixia)
        self.shizhong = f.union("市中区总工会", UnionLevel.COUNTY, self.city)
        self.bus = f.union("济南公共交通集团有限公司工会", UnionLevel.ENTERPRISE, self.city)
        self.staff = f.city_staff(self.city)
        self.prog = f.program(self.city, f"jinan-{year}", batches=3, year=year)
        self.b1, self.b2, self.b3 = self.prog.batches.order_by("number")
        if today_in_batch is not None:
            f.window_still_open(*(b for b in (self.b1, self.b2, self.b3) if b.number > today_in_batch))
        self.city_money = f.source(self.prog, "市总工会补助", 1000, total_slots=6, uses_unit_quotas=True)
        f.quota(self.city_money, self.lixia, 2, 1)
        f.quota(self.city_money, self.shizhong, 1, 2)
        f.quota(self.city_money, self.bus, 1, 3)
        f.quota(self.city_money, None, 2, 57)
        self.prov_money = f.source(
            self.prog,
            "省总工会补助",
            1000,
            total_slots=6,
            batch_split=BatchSplit.EVEN_FIRST_TWO,
            first_batches_cap=3,
            payer_union=self.province,
        )
        self.county_money = f.source(
            self.prog, "县区配套补助", 1000, matching_of=self.city_money, payer_rule=PayerRule.APPLICANT_COUNTY
        )

    def apply(self, unit, minutes, batch, day=8, month=5):
        apps = f.applications(self.prog, unit, [f.at(day, m, month, self.year) for m in minutes], batch=batch)
        return apps if len(apps) > 1 else apps[0]


def test_jinan_three_batches_units_pool_province_rule_and_county_payer():
    j = Jinan()  # batch 1 is allocated before batch 2 has closed
    # Batch 1, in submission order: L1 L2 S1 L3 G1 S2 L4.
    L1, L2 = j.apply(j.lixia_firm, [1, 2], j.b1)
    S1 = j.apply(j.shizhong, [3], j.b1)
    L3 = j.apply(j.lixia_firm, [4], j.b1)
    G1 = j.apply(j.bus, [5], j.b1)
    S2 = j.apply(j.shizhong, [6], j.b1)
    L4 = j.apply(j.lixia_firm, [7], j.b1)

    result = allocation_run(program=j.prog, batch=j.b1, actor=j.staff)

    # City: 历下 takes L1 L2 (2 slots), 市中 S1, 公交 G1; overflow in global order L3, S2, L4
    # → pool (2) serves L3, S2; L4 is left out.
    city = {a.application_id: a for a in live(j.city_money)}
    assert set(city) == {L1.pk, L2.pk, S1.pk, G1.pk, L3.pk, S2.pk}
    assert {city[a.pk].via for a in (L1, L2, S1, G1)} == {AwardVia.UNIT_QUOTA}
    assert (city[L3.pk].via, city[L3.pk].rank) == (AwardVia.POOL, 1)
    assert (city[S2.pk].via, city[S2.pk].rank) == (AwardVia.POOL, 2)
    assert city[L2.pk].explanation == "历下区总工会 第2位，本单位名额2"
    assert city[L3.pk].explanation == "历下区总工会 第3位，本单位名额2 → 全市调剂名额第1位"
    # Province: batches 1+2 already have 7 approved ≥ 6 → batch 1 takes its first 3.
    assert names(live(j.prov_money)) == who([L1, L2, S1])
    assert live(j.prov_money).get(application=S1).explanation == "第1批前3名 第3位（前两批已满额，各取前3名）"
    # County matching follows every city award whose applicant sits under a county,
    # paid by that county; 公交集团 is under no county → no county money for G1.
    county = {a.application_id: a.payer_union for a in live(j.county_money)}
    assert county == {L1.pk: j.lixia, L2.pk: j.lixia, L3.pk: j.lixia, S1.pk: j.shizhong, S2.pk: j.shizhong}
    assert {o.name: o.created for o in result.sources} == {"市总工会补助": 6, "省总工会补助": 3, "县区配套补助": 5}

    why = {e.source_name: e for e in allocation_explain(application=L4)}
    assert not why["市总工会补助"].funded
    assert why["市总工会补助"].text == (
        "历下区总工会 第4位，本单位名额2，本单位名额已满，调剂名额已用完（调剂名额2），调剂排位第3"
    )
    assert why["省总工会补助"].text == "第1批 第7位，本批名额3已满（前两批已满额，各取前3名）"
    assert why["县区配套补助"].text == "未获市总工会补助，无配套补助"

    # Publicity of batch 1: its awards are fixed from now on.
    Award.objects.filter(status=AwardStatus.PROPOSED).update(status=AwardStatus.PUBLISHED)

    # Batch 2: G2 (公交) then L5 (历下), and its window closes. City money is all used;
    # province batch 2 share is 3, of which it can use 2: the third place goes to the next
    # approved in submission order, L3 of batch 1, instead of to nobody.
    G2 = j.apply(j.bus, [0], j.b2, day=18, month=6)
    L5 = j.apply(j.lixia_firm, [0], j.b2, day=19, month=6)
    f.window_closed(j.b2)
    allocation_run(program=j.prog, batch=j.b2, actor=j.staff)
    assert live(j.city_money).count() == 6
    assert names(live(j.prov_money).filter(batch=j.b2)) == who([G2, L5])
    assert names(live(j.prov_money).filter(batch=j.b1)) == who([L1, L2, S1, L3])
    assert live(j.prov_money).get(application=L3).explanation == (
        "第2批名额未用完，由第1批按提交先后递补 第1位（递补名额1）"
    )

    # L3's city award is struck out in publicity: its county matching goes with it, and
    # the freed pool place goes to the next in the overflow queue: L4 (before G2, L5).
    promoted = award_revoke(award=city[L3.pk], actor=j.staff, reason="公示期间查实非一线职工")
    assert promoted.application_id == L4.pk
    assert (promoted.via, promoted.rank, promoted.status) == (AwardVia.POOL, 2, AwardStatus.PROPOSED)
    assert not live(j.county_money).filter(application=L3).exists()
    assert live(j.county_money).get(application=L4).payer_union == j.lixia
    assert award_revoke(award=city[L3.pk], actor=j.staff, reason="重复操作") is None

    # Batch 3: province gives nothing (the batch-1/2 rule took the whole quota).
    B3 = j.apply(j.shizhong, [0], j.b3, day=16, month=10)
    allocation_run(program=j.prog, actor=j.staff)
    assert not Award.objects.filter(application=B3).exists()
    why = {e.source_name: e.text for e in allocation_explain(application=B3)}
    assert why["省总工会补助"] == "前两批审核通过人数已达补助名额，第3批不再发放；递补名额1已用完，递补排位第5"


def test_jinan_province_even_split_when_first_batches_do_not_fill():
    j = Jinan(today_in_batch=None)
    j.prov_money.total_slots = 7
    j.prov_money.save()
    # Shares 3, 2, 2 (remainder to the earliest batch). Batches 1+2 have 2 approved < 7.
    a = j.apply(j.shizhong, [1], j.b1)
    b = j.apply(j.shizhong, [1], j.b2, day=18, month=6)
    c1, c2, c3 = j.apply(j.lixia_firm, [1, 2, 3], j.b3, day=16, month=10)
    allocation_run(program=j.prog, actor=j.staff)
    # Every window has closed: batches 1 and 2 cannot use 2 + 1 of their places, which go
    # to the next approved in submission order that batch 3's own share leaves out: c3.
    assert names(live(j.prov_money)) == who([a, b, c1, c2, c3])
    assert live(j.prov_money).get(application=c2).explanation == "第3批 第2位，本批名额2（各批次平均分配）"
    assert live(j.prov_money).get(application=c3).explanation == (
        "第1、2批名额未用完，由第3批按提交先后递补 第1位（递补名额3）"
    )
    usage = quota_usage(source=j.prov_money)
    assert [(u.label, u.slots, u.approved, u.awarded, u.awarded_elsewhere, u.remaining) for u in usage] == [
        ("第1批", 3, 1, 1, 0, 1),
        ("第2批", 2, 1, 1, 0, 1),
        ("第3批", 2, 3, 3, 1, 0),
        ("合计", 7, 5, 5, 0, 2),
    ]
    c4 = j.apply(j.lixia_firm, [4, 5, 6], j.b3, day=16, month=10)[0]
    assert {e.source_name: e.text for e in allocation_explain(application=c4)}["省总工会补助"] == "待运行分配"
    allocation_run(program=j.prog, actor=j.staff)
    c6 = Application.objects.filter(program=j.prog, batch=j.b3).order_by("submitted_at", "id").last()
    assert {e.source_name: e.text for e in allocation_explain(application=c6)}["省总工会补助"] == (
        "第3批 第6位，本批名额2已满；递补名额3已用完，递补排位第4"
    )


def test_jinan_dry_run_writes_nothing_and_rerun_changes_nothing():
    j = Jinan()
    j.apply(j.lixia_firm, [1, 2, 3], j.b1)
    dry = allocation_run(program=j.prog, actor=j.staff, dry_run=True)
    assert not Award.objects.exists()
    # City 2 unit + 1 pool; province even split 2/2/2 (batches 1+2 hold 3 < 6); county 3.
    assert [o.created for o in dry.sources] == [3, 2, 3]
    lixia_row = next(u for u in dry.usage[str(j.city_money.pk)] if u["label"] == "历下区总工会")
    assert (lixia_row["approved"], lixia_row["awarded"], lixia_row["awarded_elsewhere"]) == (3, 2, 1)

    allocation_run(program=j.prog, actor=j.staff)
    first = list(Award.objects.order_by("id").values_list("id", "application_id", "source_id", "via", "rank"))
    again = allocation_run(program=j.prog, actor=j.staff)
    assert list(Award.objects.order_by("id").values_list("id", "application_id", "source_id", "via", "rank")) == first
    assert all((o.created, o.updated, o.deleted) == (0, 0, 0) for o in again.sources)


def test_linyi_2022_city_units_with_province_and_county_following_one_to_one():
    province = f.union("山东省总工会", UnionLevel.PROVINCE)
    city, units, pool = f.city_with_units("临沂市总工会", "linyi-2022-quota-table.csv")
    assert pool == 0
    prog = f.program(city, "linyi-2022", year=2022)
    city_money = f.source(prog, "市总工会补助", 500, total_slots=300, uses_unit_quotas=True)
    for pos, name, slots in f.quota_table("linyi-2022-quota-table.csv"):
        f.quota(city_money, units[name], slots, pos)
    prov = f.source(prog, "省总工会补助", 1000, matching_of=city_money, payer_union=province)
    county = f.source(prog, "县区配套补助", 500, matching_of=city_money, payer_rule=PayerRule.APPLICANT_COUNTY)
    staff = f.city_staff(city)

    lanshan_firm = f.union("兰山某物流公司工会", UnionLevel.GRASSROOTS, units["兰山区总工会"])
    lanshan = f.applications(prog, lanshan_firm, [f.at(1, m, 3, 2022) for m in range(32)])
    feixian = f.applications(prog, units["费县总工会"], [f.at(2, m, 3, 2022) for m in range(2)])
    industry = f.applications(prog, units["市产业（系统）工会，市直机关工会工委，大企业工会"], [f.at(3, 0, 3, 2022)])

    allocation_run(program=prog, actor=staff)

    # City: 兰山 has 30 slots and there is no pool → its first 30 in submission order.
    funded = [*lanshan[:30], *feixian, *industry]
    assert names(live(city_money)) == who(funded)
    assert {a.amount_yuan for a in live(city_money)} == {500}
    # Province follows the city 1:1 (1000 each, paid by the province); counties match
    # 500 for their own workers only.
    assert names(live(prov)) == who(funded)
    assert set(live(prov).values_list("payer_union", flat=True)) == {province.pk}
    assert names(live(county)) == who([*lanshan[:30], *feixian])
    payers = dict(live(county).values_list("application_id", "payer_union__name"))
    assert payers[lanshan[0].pk] == "兰山区总工会" and payers[feixian[0].pk] == "费县总工会"
    assert live(prov).get(application=lanshan[29]).explanation == (
        "配套市总工会补助（兰山区总工会 第30位，本单位名额30），由山东省总工会发放"
    )
    why = {e.source_name: e.text for e in allocation_explain(application=lanshan[31])}
    assert why["市总工会补助"] == "兰山区总工会 第32位，本单位名额30，本单位名额已满，无调剂名额"
    why = {e.source_name: e.text for e in allocation_explain(application=industry[0])}
    assert why["县区配套补助"] == "所在单位不属于县区总工会，无县区配套补助"

    usage = {u.label: u for u in quota_usage(source=city_money)}
    assert (usage["兰山区总工会"].approved, usage["兰山区总工会"].awarded, usage["兰山区总工会"].unfunded) == (
        32,
        30,
        2,
    )
    assert (usage["合计"].slots, usage["合计"].awarded) == (300, 33)


def test_xianan_places_taken_at_submission_and_a_freed_place_goes_to_the_waitlist():
    district = f.union("咸安区总工会", UnionLevel.COUNTY)
    firm = f.union("咸安某快递公司工会", UnionLevel.GRASSROOTS, district)
    prog = f.program(district, "xianan-2026", mode=AllocationMode.AT_SUBMISSION, year=2026)
    union_money = f.source(prog, "工会资助", 1000, total_slots=100)
    school_money = f.source(prog, "高校资助", 1000, matching_of=union_money, payer_name="湖北开放大学")
    # 100 places taken in submission order; 98 approved so far, 2 still in review;
    # three more applicants wait in line.
    placed = [
        f.applications(
            prog,
            firm,
            [f.at(1, i, 4, 2026)],
            status=ApplicationStatus.APPROVED if i < 98 else ApplicationStatus.IN_REVIEW,
            seat_status=SeatStatus.PLACED,
            seat_rank=i + 1,
        )[0]
        for i in range(100)
    ]
    waiting = [
        f.applications(
            prog,
            firm,
            [f.at(2, i, 4, 2026)],
            status=ApplicationStatus.IN_REVIEW,
            seat_status=SeatStatus.WAITLISTED,
            seat_rank=i + 1,
        )[0]
        for i in range(3)
    ]

    allocation_run(program=prog, actor=None)
    assert names(live(union_money)) == who(placed[:98])
    assert live(union_money).get(application=placed[4]).explanation == "提交即占名额 第5位"
    assert names(live(school_money)) == who(placed[:98])
    assert {e.source_name: e.text for e in allocation_explain(application=waiting[0])}["工会资助"] == "候补第1位"

    # Place 5 withdraws: the seat goes to the first waitlisted; the withdrawal itself voids
    # its awards (the heir is not approved yet, so nobody is funded in its place yet).
    award = live(union_money).get(application=placed[4])
    application_withdraw(application=placed[4], actor=placed[4].worker.user, reason="个人原因")
    award.refresh_from_db()
    assert award.status == AwardStatus.VOID and award.explanation == "已作废：个人原因"
    assert not Award.objects.filter(application=placed[4]).live().exists()
    assert live(union_money).count() == 97
    first = Application.objects.get(pk=waiting[0].pk)
    assert (first.seat_status, first.seat_rank) == (SeatStatus.PLACED, 100)
    application_transition(application=first, action=Action.APPROVE_FINAL, actor=None)

    allocation_run(program=prog, actor=None)
    assert names(live(union_money)) == who([*placed[:4], *placed[5:98], first])
    assert live(union_money).get(application=first).explanation == "提交即占名额 第100位"
    assert live(school_money).filter(application=first).exists()
    assert not live(school_money).filter(application=placed[4]).exists()


def test_xianan_upheld_objection_frees_the_place_for_the_waitlist():
    from payouts.publicity.services import objection_submit, objection_uphold, publicity_open

    district = f.union("咸安区总工会", UnionLevel.COUNTY)
    firm = f.union("咸安某物流公司工会", UnionLevel.GRASSROOTS, district)
    manager = f.city_staff(district)
    prog = f.program(district, "xianan-objection", mode=AllocationMode.AT_SUBMISSION, year=2026)
    union_money = f.source(prog, "工会资助", 1000, total_slots=2)
    placed = f.applications(prog, firm, [f.at(1, 0, 4, 2026)], seat_status=SeatStatus.PLACED, seat_rank=1)
    placed += f.applications(prog, firm, [f.at(1, 1, 4, 2026)], seat_status=SeatStatus.PLACED, seat_rank=2)
    waiting = f.applications(prog, firm, [f.at(2, 0, 4, 2026)], seat_status=SeatStatus.WAITLISTED, seat_rank=1)

    allocation_run(program=prog, actor=None)
    assert names(live(union_money)) == who(placed)
    publicity = publicity_open(program=prog, batch=None, actor=manager)
    objection = objection_submit(
        publicity=publicity,
        token=publicity.entries.get(application=placed[0]).token,
        contact_name="甲",
        contact_phone="13912345678",
        reason="此人并非新入学。",
    )
    objection_uphold(objection=objection, actor=manager, note="经核实，异议成立。")

    revoked = Application.objects.get(pk=placed[0].pk)
    heir = Application.objects.get(pk=waiting[0].pk)
    assert (revoked.status, revoked.seat_status) == (ApplicationStatus.REVOKED, SeatStatus.NONE)
    # The waitlisted applicant (already approved) takes the freed place and its award.
    assert (heir.seat_status, heir.seat_rank) == (SeatStatus.PLACED, 2)
    assert names(live(union_money)) == who([placed[1], heir])
