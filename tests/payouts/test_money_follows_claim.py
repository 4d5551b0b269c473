"""Money follows eligibility: a withdrawn claim is not paid, its place passes on, and once
money is paid the claim can no longer be withdrawn (issue 11, case 1)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.announcements import Announcement, listeners_of
from applications.models import Application, ApplicationStatus, Notification
from applications.services import application_withdraw
from payouts import reactions
from payouts.models import Award, AwardStatus, AwardVia, PayoutLine, PayoutLineStatus
from payouts.payout.bank_return import bank_return_import
from payouts.payout.selectors import payout_reconciliation
from payouts.payout.services import payout_list_build, payout_lists_build_for_batch
from quotas.models import AuditLog

from .conftest import luhn_complete, make_worker, publish_and_end
from .test_bank_return import _bank_return_xlsx, _exported
from .xlsx_read import data_rows, read_sheet, totals_row

pytestmark = pytest.mark.django_db


def _late_applicant(sc):
    """A sixth approved worker, submitted after the five: waits for a province place."""
    worker = make_worker(
        n=90,
        union=sc.grassroots[0],
        name="孙七",
        employer="济南某餐饮公司",
        id_number="370102199001011237",
        card=luhn_complete("622202160200999999"),
    )
    return Application.objects.create(
        number="JN2024-00090",
        worker=worker,
        program=sc.program,
        batch=sc.batch,
        level="dazhuan",
        school="山东开放大学",
        major="会计",
        enrolled_on=date(2024, 3, 1),
        chsi_code="A9999999",
        chsi_expires_on=date(2025, 3, 1),
        status=ApplicationStatus.APPROVED,
        submitted_at=timezone.now() - timedelta(days=35),
    )


def test_the_reactions_are_wired():
    assert reactions.money_end_with_claim in listeners_of(Announcement.TRANSITION_DONE)
    assert reactions.withdrawal_refuse_after_payment in listeners_of(Announcement.TRANSITION_CHECK)


def test_withdrawal_after_approval_voids_its_money_everywhere_and_passes_the_place_on(scenario, city_finance):
    sc = scenario
    sc.province.total_slots = 5  # every province place is given: the sixth worker waits
    sc.province.save(update_fields=["total_slots"])
    late = _late_applicant(sc)
    publish_and_end(sc, city_finance)
    city_list = payout_list_build(program=sc.program, source=sc.city_money, batch=sc.batch, actor=city_finance)
    _exported(city_list, city_finance)  # the city's list is already at the bank
    leaver = sc.applications[0]

    application_withdraw(application=leaver, actor=leaver.worker.user, reason="已转到外地工作")

    leaver.refresh_from_db()
    assert leaver.status == ApplicationStatus.WITHDRAWN
    awards = list(Award.objects.filter(application=leaver))
    assert len(awards) == 4 and {a.status for a in awards} == {AwardStatus.VOID}
    assert all(a.explanation == "已作废：已转到外地工作" for a in awards)
    # The line on the exported list stays in its place, marked 作废 with the reason.
    line = PayoutLine.objects.get(award__application=leaver)
    assert line.status == PayoutLineStatus.VOID and "已转到外地工作" in line.void_reason
    # ... and so the next export shows it with 0 yuan; the total is what is still to pay.
    rows = data_rows(read_sheet(_exported(city_list, city_finance)))
    row = next(r for r in rows if r[0] == line.sequence)
    assert row[5] == 0 and row[9].startswith("作废（原1000元）")
    last = totals_row(read_sheet(_exported(city_list, city_finance)))
    assert last[5] == 4000 and last[1] == "4人"
    recon = {r.source: r for r in payout_reconciliation(lists=type(city_list).objects.filter(pk=city_list.pk))}
    assert recon["市级补助"].counts["void"] == 1 and recon["市级补助"].sums["void"] == 1000
    # The freed province place went to the next approved worker, as after an upheld objection.
    heir = Award.objects.get(application=late, source=sc.province)
    assert heir.status == AwardStatus.PROPOSED and heir.via == AwardVia.TOTAL
    # The worker is told what happened to the money.
    told = Notification.objects.filter(application=leaver).values_list("title", flat=True)
    assert any("已拟发的补助已作废" in t and "市级补助1000元" in t for t in told)
    # Lists built now carry nobody who withdrew.
    for payout_list in payout_lists_build_for_batch(program=sc.program, batch=sc.batch, actor=city_finance):
        assert not payout_list.lines.filter(award__application=leaver).exists()
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"award.void", "award.release", "payout_line.void"} <= actions


def test_withdrawal_is_refused_once_money_is_paid(scenario, city_finance, client):
    sc = scenario
    publish_and_end(sc, city_finance)
    city_list = payout_list_build(program=sc.program, source=sc.city_money, batch=sc.batch, actor=city_finance)
    content = _exported(city_list, city_finance)
    bank_return_import(
        payout_list=city_list,
        name="return.xlsx",
        content=_bank_return_xlsx(content, {1: ("成功", "")}),
        actor=city_finance,
    )
    paid = PayoutLine.objects.get(payout_list=city_list, sequence=1).award.application
    assert paid.awards.filter(status=AwardStatus.PAID).count() == 1

    with pytest.raises(ValidationError, match="补助已发放（市级补助1000元），不能撤回申请"):
        application_withdraw(application=paid, actor=paid.worker.user, reason="不想要了")
    paid.refresh_from_db()
    assert paid.status == ApplicationStatus.APPROVED
    assert not paid.awards.filter(status=AwardStatus.VOID).exists()

    # The page says so and offers no withdrawal.
    client.force_login(paid.worker.user)
    detail = client.get(reverse("applications:detail", args=[paid.pk])).content.decode()
    assert reverse("applications:withdraw", args=[paid.pk]) not in detail
    page = client.get(reverse("applications:withdraw", args=[paid.pk])).content.decode()
    assert "补助已发放（市级补助1000元），不能撤回申请" in page and "确认撤回" not in page


def test_withdraw_page_warns_that_the_proposed_money_is_given_up(scenario, client):
    app = scenario.applications[2]
    client.force_login(app.worker.user)
    page = client.get(reverse("applications:withdraw", args=[app.pk])).content.decode()
    assert "撤回后将放弃已拟发的补助：省级补助1000元、市级补助1000元、县区配套补助1000元、高校补助1000元" in page
    assert "确认撤回" in page


def test_a_void_line_the_bank_did_not_pay_is_skipped_and_one_it_paid_is_refused(scenario, city_finance):
    sc = scenario
    publish_and_end(sc, city_finance)
    city_list = payout_list_build(program=sc.program, source=sc.city_money, batch=sc.batch, actor=city_finance)
    content = _exported(city_list, city_finance)
    first = PayoutLine.objects.get(payout_list=city_list, sequence=1).award.application
    application_withdraw(application=first, actor=first.worker.user, reason="个人原因")

    with pytest.raises(ValidationError, match=r"序号 1 已作废.*银行却回盘为发放成功"):
        bank_return_import(
            payout_list=city_list,
            name="r.xlsx",
            content=_bank_return_xlsx(content, {1: ("成功", ""), 2: ("成功", "")}),
            actor=city_finance,
        )
    assert not PayoutLine.objects.filter(payout_list=city_list, status=PayoutLineStatus.PAID).exists()
    counts = bank_return_import(
        payout_list=city_list,
        name="r.xlsx",
        content=_bank_return_xlsx(content, {1: ("失败", "已作废"), 2: ("成功", "")}),
        actor=city_finance,
    )
    assert counts == {"paid": 1, "failed": 0, "void": 1}
    assert PayoutLine.objects.get(payout_list=city_list, sequence=1).status == PayoutLineStatus.VOID


def test_a_held_change_voids_lines_not_yet_at_the_bank_and_the_next_list_takes_the_confirmed_card(
    scenario, city_finance
):
    from applications.changes import worker_change_confirm
    from applications.models import WorkerChange
    from applications.services import ProfileData, worker_profile_save
    from qiuxue.crypto import hmac_index

    sc = scenario
    publish_and_end(sc, city_finance)
    draft = payout_list_build(program=sc.program, source=sc.city_money, batch=sc.batch, actor=city_finance)
    sent = payout_list_build(program=sc.program, source=sc.province, batch=sc.batch, actor=city_finance)
    _exported(sent, city_finance)
    worker = sc.applications[0].worker
    new_card = luhn_complete("621700123456789012")
    worker_profile_save(
        user=worker.user,
        data=ProfileData(
            name=worker.name,
            employer=worker.employer,
            union=worker.union,
            bank_name="中国农业银行",
            bank_card=new_card,
        ),
    )
    held = draft.lines.get(award__application__worker=worker)
    assert held.status == PayoutLineStatus.VOID and held.void_reason == "职工信息变更待核实，暂缓发放"
    # The list already at the bank went with the confirmed card: left alone.
    assert sent.lines.get(award__application__worker=worker).status == PayoutLineStatus.PENDING

    worker_change_confirm(change=WorkerChange.objects.get(worker=worker), actor=city_finance, note="已电话核实")
    rebuilt = payout_list_build(program=sc.program, source=sc.city_money, batch=sc.batch, actor=city_finance)
    line = rebuilt.lines.get()
    assert line.award_id == held.award_id and line.bank_card_hmac == hmac_index(new_card)
