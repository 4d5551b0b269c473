"""Jinan's province money on the real calendar (seed 001: 省级补助按照三批申请时段平均分配（如第
一、二批次补助名额已满，则第一、二批次各取前500名审核通过的职工发放省级补助）): batch 1 is
paid before batch 2 is known, a batch may have fewer approved than its share, and reruns
after payment. Miniature: province 6, three batches, "first 3 of each"."""

import pytest

from applications.models import Application, ApplicationStatus
from applications.services import application_withdraw
from applications.workflow import Action, application_transition
from payouts.allocation.selectors import allocation_explain
from payouts.allocation.services import allocation_run
from payouts.models import Award, AwardStatus

from . import factories as f
from .test_scenarios import Jinan, live, names, who

pytestmark = pytest.mark.django_db


def pay_everything(j: Jinan) -> None:
    """Publicity then the bank's return: every award paid, every application with all its
    money paid becomes PAID (as ``payout_list_bank_return`` does)."""
    Award.objects.filter(source__program=j.prog).exclude(status=AwardStatus.REVOKED).update(status=AwardStatus.PAID)
    waiting = Application.objects.filter(program=j.prog, status=ApplicationStatus.APPROVED, awards__isnull=False)
    for app in waiting.distinct():
        application_transition(application=app, action=Action.MARK_PAID, actor=None, reason="补助已全部发放")


def paid_snapshot(j: Jinan):
    return sorted(
        Award.objects.filter(source__program=j.prog, status=AwardStatus.PAID).values_list(
            "id", "application_id", "source_id", "status", "rank", "batch_id", "explanation", "amount_yuan"
        )
    )


def test_batch_1_paid_before_batch_2_is_known_keeps_batch_1_at_its_full_share():
    j = Jinan()  # batch 2 has not closed when batch 1 is allocated
    L1, L2 = j.apply(j.lixia_firm, [1, 2], j.b1)
    S1 = j.apply(j.shizhong, [3], j.b1)
    G1 = j.apply(j.bus, [4], j.b1)
    L3 = j.apply(j.lixia_firm, [5], j.b1)
    # 5 approved in batches 1+2 < 6: even split 2/2/2; the city money funds all five.
    allocation_run(program=j.prog, batch=j.b1, actor=j.staff)
    assert names(live(j.prov_money)) == who([L1, L2])
    assert live(j.prov_money).get(application=L2).explanation == "第1批 第2位，本批名额2（各批次平均分配）"
    assert live(j.city_money).count() == 5
    pay_everything(j)
    assert set(Application.objects.filter(batch=j.b1).values_list("status", flat=True)) == {ApplicationStatus.PAID}
    paid = paid_snapshot(j)

    # Batch 2 is known: 3 approved → batches 1+2 hold 8 ≥ 6 → the first 3 of each. Batch 1's
    # third (S1) is PAID (its city money) but still waits for the province money.
    G2, L6, S2 = (j.apply(u, [m], j.b2, day=18, month=6) for u, m in ((j.bus, 1), (j.lixia_firm, 2), (j.shizhong, 3)))
    f.window_closed(j.b2)
    allocation_run(program=j.prog, batch=j.b2, actor=j.staff)
    assert names(live(j.prov_money).filter(batch=j.b1)) == who([L1, L2, S1])
    assert names(live(j.prov_money).filter(batch=j.b2)) == who([G2, L6, S2])
    assert live(j.prov_money).get(application=S1).explanation == "第1批前3名 第3位（前两批已满额，各取前3名）"
    assert live(j.prov_money).get(application=S1).status == AwardStatus.PROPOSED
    assert not live(j.prov_money).filter(application__in=[G1, L3]).exists()
    assert paid_snapshot(j) == paid  # nothing paid moved


def test_batch_2_with_fewer_approved_than_its_share_passes_the_rest_to_the_next_in_line():
    j = Jinan()
    b1 = [*j.apply(j.lixia_firm, [1, 2, 3], j.b1), *j.apply(j.shizhong, [4, 5], j.b1)]
    allocation_run(program=j.prog, batch=j.b1, actor=j.staff)
    # Batch 2: one approved, one still in review, one rejected: 1 approved + 5 = 6 ≥ 6.
    G2 = j.apply(j.bus, [1], j.b2, day=18, month=6)
    pending = f.applications(j.prog, j.lixia_firm, [f.at(18, 2, 6)], batch=j.b2, status=ApplicationStatus.IN_REVIEW)[0]
    f.applications(j.prog, j.lixia_firm, [f.at(18, 3, 6)], batch=j.b2, status=ApplicationStatus.REJECTED)

    # While batch 2's window is open it keeps its whole share: more may still apply.
    allocation_run(program=j.prog, batch=j.b2, actor=j.staff)
    assert names(live(j.prov_money)) == who([*b1[:3], G2])

    # Window closed: batch 2 keeps a place for G2 and one for the application still in
    # review; the third goes to the next approved in submission order: batch 1's fourth.
    f.window_closed(j.b2)
    allocation_run(program=j.prog, batch=j.b2, actor=j.staff)
    assert names(live(j.prov_money)) == who([*b1[:4], G2])
    assert live(j.prov_money).get(application=b1[3]).explanation == (
        "第2批名额未用完，由第1批按提交先后递补 第1位（递补名额1）"
    )
    assert live(j.prov_money).get(application=b1[0]).explanation == "第1批前3名 第1位（前两批已满额，各取前3名）"
    assert live(j.prov_money).get(application=G2).explanation == "第2批前3名 第1位（前两批已满额，各取前3名）"

    # The one in review is rejected: its place goes on to batch 1's fifth.
    Application.objects.filter(pk=pending.pk).update(status=ApplicationStatus.REJECTED)
    allocation_run(program=j.prog, batch=j.b2, actor=j.staff)
    assert names(live(j.prov_money)) == who([*b1, G2])
    assert live(j.prov_money).get(application=b1[4]).explanation == (
        "第2批名额未用完，由第1批按提交先后递补 第2位（递补名额2）"
    )
    assert live(j.prov_money).count() == 6


def test_a_rerun_after_payment_changes_nothing_that_was_paid():
    j = Jinan()
    b1 = [*j.apply(j.lixia_firm, [1, 2, 3], j.b1), *j.apply(j.shizhong, [4, 5], j.b1)]
    G2 = j.apply(j.bus, [1], j.b2, day=18, month=6)
    f.window_closed(j.b2)
    allocation_run(program=j.prog, batch=j.b2, actor=j.staff)
    # 5 + 1 ≥ 6: first 3 of each; batch 2 can use 1 of its 3, the other 2 go to batch 1.
    assert names(live(j.prov_money)) == who([*b1, G2])
    pay_everything(j)
    paid = paid_snapshot(j)
    assert len(paid) == live(j.prov_money).count() + live(j.city_money).count() + live(j.county_money).count()

    # A late approval in batch 1 and a full rerun: batch 1 holds 5 (3 of its own, 2 passed
    # on), batch 2 holds 1 and cannot use more: the paid awards stay exactly as they were
    # (ids, ranks, sentences), nobody is added and the late one is told why.
    late = j.apply(j.shizhong, [6], j.b1)
    f.window_closed(j.b3)
    for _ in range(2):
        again = allocation_run(program=j.prog, actor=j.staff)
        assert paid_snapshot(j) == paid
        prov = next(o for o in again.sources if o.name == "省总工会补助")
        assert (prov.created, prov.updated, prov.deleted, prov.live) == (0, 0, 0, 6)
    why = {e.source_name: e.text for e in allocation_explain(application=late)}
    assert why["省总工会补助"] == (
        "第1批 第6位，本批名额3已满（前两批已满额，各取前3名）；递补名额2已用完，递补排位第3"
    )


def test_a_withdrawal_after_approval_still_counts_for_the_first_two_rule_and_frees_its_place():
    j = Jinan()
    b1 = [*j.apply(j.lixia_firm, [1, 2], j.b1), *j.apply(j.shizhong, [3, 4], j.b1)]
    b2 = j.apply(j.bus, [1, 2], j.b2, day=18, month=6)  # batch 2 still open: keeps its share
    # 4 + 2 = 6 approved ≥ 6: the first 3 of each batch.
    allocation_run(program=j.prog, batch=j.b2, actor=j.staff)
    assert names(live(j.prov_money)) == who([*b1[:3], *b2])
    Award.objects.filter(status=AwardStatus.PROPOSED).update(status=AwardStatus.PUBLISHED)

    # Batch 1's second withdraws after approval; the withdrawal itself voids its province
    # place (payouts.reactions) and passes it to the next of batch 1 in line: the
    # "batches 1+2 filled" rule still holds, the withdrawn application was approved.
    withdrawn = b1[1]
    application_withdraw(application=withdrawn, actor=withdrawn.worker.user, reason="个人原因")
    assert Award.objects.get(application=withdrawn, source=j.prov_money).status == AwardStatus.VOID
    promoted = live(j.prov_money).get(application=b1[3])
    assert promoted.status == AwardStatus.PROPOSED
    assert promoted.explanation == "第1批前3名 第3位（前两批已满额，各取前3名）"
    assert names(live(j.prov_money)) == who([b1[0], b1[2], b1[3], *b2])
