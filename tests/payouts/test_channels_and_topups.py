"""Payment channels (bank card, 齐鲁工惠 wallet) and top-ups (多重补助) on the money's side:
the worker's account held after approval, lists split by channel and payer read back with
openpyxl, wallet returns, and the top-up union's own lists only."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from applications.changes import worker_change_confirm
from applications.models import ApplicationEvent
from applications.payment_accounts import validate_payment_account, worker_payment_account_save
from payouts.models import Award, AwardStatus, AwardVia, PayoutLineStatus
from payouts.payout.bank_return import bank_return_import
from payouts.payout.export import payout_list_export
from payouts.payout.selectors import awards_payable, payout_lists_visible_to, payout_reconciliation
from payouts.payout.services import payout_lists_build_for_batch, payout_reissue_build
from payouts.publicity.selectors import publicity_public_rows
from quotas.models import AdminRole, AuditLog, ChannelKind, PaymentChannel, TopUpRule
from quotas.permissions import may_export_payout_list
from quotas.topups import funding_source_topup_approve, funding_source_topup_propose

from .conftest import publish_and_end, staff
from .xlsx_read import data_rows, read_sheet

pytestmark = pytest.mark.django_db

WALLET_ACCOUNT = "6000123456789012"  # 16 digits, the programme's set-up


def _wallet(sc) -> PaymentChannel:
    return PaymentChannel.objects.create(
        program=sc.program,
        kind=ChannelKind.WALLET,
        name="齐鲁工惠APP 我的钱包",
        account_label="钱包电子账号",
        payer_name="齐鲁工惠",
        min_length=16,
        max_length=16,
    )


def _exported(pl, actor) -> bytes:
    pl = payout_list_export(payout_list_id=pl.pk, actor_id=actor.pk)
    with pl.file.open("rb") as f:
        return f.read()


def test_a_failed_bank_payment_is_reissued_to_the_wallet_chosen_since(scenario, city_finance):
    sc = scenario
    wallet = _wallet(sc)
    app = sc.applications[1]
    worker = app.worker
    publish_and_end(sc, city_finance)
    lists = payout_lists_build_for_batch(program=sc.program, batch=sc.batch, actor=city_finance)
    bank_list = next(pl for pl in lists if pl.source_id == sc.city_money.pk and pl.channel_id is None)
    line = bank_list.lines.get(award__application=app)
    rows = data_rows(read_sheet(_exported(bank_list, city_finance)))
    card = next(r[3] for r in rows if r[1] == worker.name)
    failed = f"序号,银行卡号,发放结果,失败原因\n{line.sequence},{card},失败,账户已销户\n".encode()
    assert bank_return_import(payout_list=bank_list, name="r.csv", content=failed, actor=city_finance)["failed"] == 1
    # The worker chooses the 齐鲁工惠 wallet instead of a new card; held, then confirmed.
    worker_payment_account_save(user=worker.user, channel=wallet, account=WALLET_ACCOUNT)
    worker_change_confirm(change=worker.changes.get(status="pending"), actor=city_finance, note="已电话核实")
    (reissue,) = payout_reissue_build(payout_list=bank_list, actor=city_finance)
    assert reissue.channel == wallet and reissue.reissue_of == bank_list and reissue.row_count == 1
    assert "补发" in reissue.title and "齐鲁工惠APP 我的钱包" in reissue.title
    ws = read_sheet(_exported(reissue, city_finance))
    assert [c.value for c in ws[2]][:3] == ["序号", "姓名", "收款账号（钱包电子账号）"]
    assert data_rows(ws)[0][:3] == (1, worker.name, WALLET_ACCOUNT)
    paid = f"序号,收款账号,发放结果,失败原因\n1,{WALLET_ACCOUNT},成功,\n".encode()
    assert bank_return_import(payout_list=reissue, name="r.csv", content=paid, actor=city_finance)["paid"] == 1
    assert Award.objects.get(source=sc.city_money, application=app).status == AwardStatus.PAID
    audit = AuditLog.objects.get(action="payout_list.reissue", object_id=str(reissue.pk))
    assert audit.detail["channel"] == "齐鲁工惠APP 我的钱包" and audit.detail["reissue_of"] == bank_list.pk


def test_the_account_is_validated_by_the_channels_format(scenario):
    wallet = _wallet(scenario)
    assert validate_payment_account(channel=wallet, value="６０００ １２３４ ５６７８ ９０１２") == WALLET_ACCOUNT
    with pytest.raises(ValidationError, match="16位数字"):
        validate_payment_account(channel=wallet, value="60001234")
    with pytest.raises(ValidationError, match="只能使用数字"):
        validate_payment_account(channel=wallet, value="6000-1234-5678-90ab")


def test_a_wallet_account_after_approval_is_held_then_paid_on_its_own_list(scenario, city_finance):
    sc = scenario
    wallet = _wallet(sc)
    app = sc.applications[2]
    worker = app.worker
    card_before = worker.bank_card_hmac
    worker_payment_account_save(user=worker.user, channel=wallet, account=WALLET_ACCOUNT)
    worker.refresh_from_db()
    # Held: the row keeps the card, the change waits, the money waits with it.
    assert worker.payment_channel_id is None and worker.bank_card_hmac == card_before
    change = worker.changes.get(status="pending")
    assert change.fields == ["payment_account"]
    assert change.after["payment_account"] == "齐鲁工惠APP 我的钱包 6000 **** **** 9012"
    assert WALLET_ACCOUNT not in change.payment_account_encrypted  # encrypted at rest
    publish_and_end(sc, city_finance)
    assert (
        not awards_payable(program=sc.program, source=sc.city_money, batch=sc.batch, payer_union=None)
        .filter(application=app)
        .exists()
    )
    worker_change_confirm(change=change, actor=city_finance, note="已电话核实")
    worker.refresh_from_db()
    assert worker.payment_channel == wallet and worker.payment_account_masked == "6000 **** **** 9012"
    assert AuditLog.objects.filter(action="worker.payment_account", object_id=str(worker.pk)).exists()

    lists = payout_lists_build_for_batch(program=sc.program, batch=sc.batch, actor=city_finance)
    city_lists = [pl for pl in lists if pl.source_id == sc.city_money.pk]
    by_channel = {pl.channel_id: pl for pl in city_lists}
    assert set(by_channel) == {None, wallet.pk}
    bank_list, wallet_list = by_channel[None], by_channel[wallet.pk]
    assert "齐鲁工惠APP 我的钱包" in wallet_list.title and wallet_list.row_count == 1
    assert bank_list.row_count == 4 and not bank_list.lines.filter(award__application=app).exists()

    ws = read_sheet(_exported(wallet_list, city_finance))
    headers = [c.value for c in ws[2]]
    assert headers == ["序号", "姓名", "收款账号（钱包电子账号）", "补助金额（元）", "工作单位", "项目", "批次", "备注"]
    rows = data_rows(ws)
    assert rows == [(1, worker.name, WALLET_ACCOUNT, 1000, worker.employer, sc.program.name, "第一批", None)]
    assert ws.cell(row=3, column=3).data_type == "s"  # the account stays text
    bank_headers = [c.value for c in read_sheet(_exported(bank_list, city_finance))[2]]
    assert bank_headers[:4] == ["序号", "姓名", "身份证号码", "银行卡号"]

    # The wallet's return: a foreign account is refused, the right one fails, then is reissued.
    wrong = f"序号,收款账号,发放结果,失败原因\n1,{WALLET_ACCOUNT[:-1]}3,失败,x\n".encode()
    with pytest.raises(ValidationError, match="卡号/身份证号与名单不符"):
        bank_return_import(payout_list=wallet_list, name="r.csv", content=wrong, actor=city_finance)
    failed = f"序号,收款账号,发放结果,失败原因\n1,{WALLET_ACCOUNT},失败,钱包未实名\n".encode()
    assert bank_return_import(payout_list=wallet_list, name="r.csv", content=failed, actor=city_finance) == {
        "paid": 0,
        "failed": 1,
        "void": 0,
    }
    event = ApplicationEvent.objects.get(application=app, action="payment_failed")
    assert "请更新收款账户" in event.detail["label"] and "钱包未实名" in event.reason
    with pytest.raises(ValidationError):
        payout_reissue_build(payout_list=wallet_list, actor=city_finance)
    new_account = "6000123456780000"
    worker_payment_account_save(user=worker.user, channel=wallet, account=new_account)
    worker_change_confirm(change=worker.changes.get(status="pending"), actor=city_finance)
    (reissue,) = payout_reissue_build(payout_list=wallet_list, actor=city_finance)
    assert reissue.channel == wallet
    assert data_rows(read_sheet(_exported(reissue, city_finance)))[0][2] == new_account
    paid = f"序号,收款账号,发放结果,失败原因\n1,{new_account},成功,\n".encode()
    assert bank_return_import(payout_list=reissue, name="r.csv", content=paid, actor=city_finance)["paid"] == 1
    assert Award.objects.get(source=sc.city_money, application=app).status == AwardStatus.PAID
    assert ApplicationEvent.objects.filter(application=app, action="payment_paid").get().reason == (
        "已转入本人齐鲁工惠APP 我的钱包，请留意到账信息。"
    )


def test_before_approval_the_account_is_written_at_once_and_back_to_the_card(scenario):
    wallet = _wallet(scenario)
    worker = scenario.applications[0].worker
    worker.applications.update(status="in_review")
    worker_payment_account_save(user=worker.user, channel=wallet, account=WALLET_ACCOUNT)
    worker.refresh_from_db()
    assert worker.payment_channel == wallet and not worker.changes.exists()
    worker_payment_account_save(user=worker.user, channel=None)
    worker.refresh_from_db()
    assert worker.payment_channel is None and worker.payment_account_encrypted == ""


@pytest.fixture
def topup(scenario):
    """历下区某公司工会 adds 200 yuan for its members, approved by the city; awards as the
    allocation writes them (the allocation itself: tests/allocation/test_topups.py)."""
    sc = scenario
    firm = sc.grassroots[0]
    manager = staff(firm, AdminRole.MANAGER, "firm-manager")
    owner = staff(sc.city, AdminRole.MANAGER, "city-manager")
    source = funding_source_topup_propose(
        program=sc.program, union=firm, amount_yuan=200, rule=TopUpRule.ALL_APPROVED, actor=manager
    )
    source = funding_source_topup_approve(source=source, actor=owner)
    members = [a for a in sc.applications if a.worker.union_id == firm.pk]
    for rank, app in enumerate(members, start=1):
        Award.objects.create(
            application=app,
            source=source,
            batch=sc.batch,
            amount_yuan=200,
            via=AwardVia.TOPUP,
            payer_union=firm,
            rank=rank,
            explanation=f"{firm.name}补助200元（本单位第{rank}位，不限名额）",
        )
    return {"source": source, "firm": firm, "manager": manager, "members": members}


def test_the_top_up_union_builds_sees_and_exports_only_its_own_lists(scenario, city_finance, topup):
    sc = scenario
    publicity = publish_and_end(sc, city_finance)
    # The 公示 carries the top-up beside the programme's money, for its members only.
    page = Client().get(reverse("payouts:publicity_public", args=[publicity.pk])).content.decode()
    rows = {r.position: r.money for r in publicity_public_rows(publicity=publicity)}
    members = {e.position for e in publicity.entries.filter(application__in=topup["members"])}
    assert members and all("历下区总工会某公司工会补助200元" in rows[p] for p in members)
    assert not any("某公司工会补助" in m for p, m in rows.items() if p not in members)
    assert "市级补助1000元" in page and "历下区总工会某公司工会补助200元" in page
    manager = topup["manager"]
    own = payout_lists_build_for_batch(program=sc.program, batch=sc.batch, actor=manager)
    assert [(pl.source_id, pl.payer_union_id) for pl in own] == [(topup["source"].pk, topup["firm"].pk)]
    mine = own[0]
    assert mine.row_count == len(topup["members"]) and mine.total_yuan == 200 * len(topup["members"])
    rows = data_rows(read_sheet(_exported(mine, manager)))
    assert [r[1] for r in rows] == [a.worker.name for a in topup["members"]]
    assert {r[5] for r in rows} == {200}

    city_lists = payout_lists_build_for_batch(program=sc.program, batch=sc.batch, actor=city_finance)
    assert topup["source"].pk not in {pl.source_id for pl in city_lists}  # already built by the firm
    assert set(payout_lists_visible_to(manager)) == {mine}
    assert set(payout_lists_visible_to(city_finance)) == {mine, *city_lists}
    city_list = next(pl for pl in city_lists if pl.source_id == sc.city_money.pk)
    refusal = may_export_payout_list(user=manager, payout_list=city_list)
    assert not refusal and "济南市总工会" in refusal.reason
    with pytest.raises(PermissionDenied):
        refusal.require()

    # Its return, and the owner's reconciliation counts the top-up beside the city money.
    content = "序号,身份证号码,发放结果,失败原因\n" + "".join(
        f"{ln.sequence},{sc.numbers[ln.award.application_id][0]},成功,\n" for ln in mine.lines.select_related("award")
    )
    assert bank_return_import(payout_list=mine, name="r.csv", content=content.encode(), actor=manager)["paid"] == len(
        topup["members"]
    )
    recon = {(r.source, r.payer): r for r in payout_reconciliation(lists=payout_lists_visible_to(city_finance))}
    row = recon[(topup["source"].name, topup["firm"].name)]
    assert row.counts["paid"] == len(topup["members"]) and row.sums["paid"] == 200 * len(topup["members"])
    assert not mine.lines.exclude(status=PayoutLineStatus.PAID).exists()


def test_the_dashboard_counts_the_top_up_beside_the_programmes_money(scenario, topup):
    from payouts.dashboard.selectors import dashboard_stats

    stats = dashboard_stats(program=scenario.program, scope=scenario.city)
    by_source = {source.pk: cells for source, cells in stats.source_rows()}
    assert topup["source"].pk in by_source  # an approved top-up is one of the sources
    cells = by_source[topup["source"].pk]
    assert sum(n for n, _yuan in cells) == len(topup["members"])
    assert sum(y for _n, y in cells) == 200 * len(topup["members"])
    # Its yuan are in the unit table's 合计 beside the city money.
    assert stats.totals.live_yuan(topup["source"].pk) == 200 * len(topup["members"])
