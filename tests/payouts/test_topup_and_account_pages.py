"""The pages: a street's manager proposes its top-up in the admin, the city approves it;
the worker sets a 齐鲁工惠 wallet on 收款账户 (after a fresh phone code) and sees on the
application's page every source that pays them."""

import time

import pytest
from django.urls import reverse

from applications.views.account import REAUTH_SESSION_KEY
from payouts.models import Award, AwardVia
from quotas.models import AdminRole, ChannelKind, FundingSource, PaymentChannel, SourceApproval
from quotas.services import union_create

from .conftest import staff

pytestmark = pytest.mark.django_db


def test_a_lower_union_proposes_and_the_owner_approves_in_the_admin(scenario, client):
    sc = scenario
    street = union_create(name="泉城路街道工会", code="370102-s1", level="township", parent=sc.counties[0])
    street_manager = staff(street, AdminRole.MANAGER, "street-manager")
    owner = staff(sc.city, AdminRole.MANAGER, "city-manager")
    client.force_login(street_manager)
    add = reverse("admin:quotas_topupsource_add")
    assert client.get(add).status_code == 200
    response = client.post(
        add,
        {
            "program": sc.program.pk,
            "name": "",
            "amount_yuan": 300,
            "total_slots": 10,
            "topup_rule": "funded_by",
            "matching_of": sc.city_money.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = FundingSource.objects.get(scope_union=street)
    assert (source.name, source.approval, source.payer_union) == ("泉城路街道工会补助", SourceApproval.PENDING, street)
    # The street cannot approve its own money: told why, nothing changes.
    changelist = reverse("admin:quotas_topupsource_changelist")
    told = client.post(
        changelist, {"action": "approve_selected", "_selected_action": [source.pk]}, follow=True
    ).content.decode()
    assert "只有本方案主办工会（济南市总工会）及上级工会的管理员可以批准下级工会补助" in told
    source.refresh_from_db()
    assert source.approval == SourceApproval.PENDING
    client.force_login(owner)
    assert "泉城路街道工会补助" in client.get(changelist).content.decode()
    client.post(changelist, {"action": "approve_selected", "_selected_action": [source.pk]})
    source.refresh_from_db()
    assert source.approval == SourceApproval.APPROVED and source.decided_by == owner
    # Another county's manager sees neither the programme's nor the street's top-up.
    other = staff(sc.counties[1], AdminRole.MANAGER, "shizhong-manager")
    client.force_login(other)
    assert "泉城路街道工会补助" not in client.get(changelist).content.decode()


def test_the_worker_sets_a_wallet_and_sees_every_source_that_pays(scenario, client):
    sc = scenario
    wallet = PaymentChannel.objects.create(
        program=sc.program, kind=ChannelKind.WALLET, name="齐鲁工惠APP 我的钱包", min_length=16, max_length=16
    )
    app = sc.applications[0]
    worker = app.worker
    worker.applications.update(status="in_review")  # before approval: written at once
    client.force_login(worker.user)
    page = reverse("applications:payment_account")
    body = client.get(page).content.decode()
    assert "齐鲁工惠APP 我的钱包" in body and "本人银行卡" in body
    # Without a fresh phone code the account is refused, on the page.
    session = client.session
    session.pop(REAUTH_SESSION_KEY)  # force_login marks the session fresh: unmark it
    session.save()
    told = client.post(page, {"channel": str(wallet.pk), "account": "6000123456789012"}).content.decode()
    assert "需要先验证本人手机" in told
    session = client.session
    session[REAUTH_SESSION_KEY] = time.time()
    session.save()
    assert "16位数字" in client.post(page, {"channel": str(wallet.pk), "account": "600012"}).content.decode()
    response = client.post(page, {"channel": str(wallet.pk), "account": "6000123456789012"}, follow=True)
    body = response.content.decode()
    assert "齐鲁工惠APP 我的钱包 6000 **** **** 9012" in body and "6000123456789012" not in body
    worker.refresh_from_db()
    assert worker.payment_channel == wallet

    # The application's page lists the city's money and a lower union's top-up.
    worker.applications.update(status="approved")
    firm = sc.grassroots[0]
    topup = FundingSource.objects.create(
        program=sc.program,
        name="历下区某公司工会补助",
        payer_union=firm,
        amount_yuan=200,
        scope_union=firm,
        topup_rule="all_approved",
    )
    Award.objects.create(
        application=app,
        source=topup,
        batch=sc.batch,
        amount_yuan=200,
        via=AwardVia.TOPUP,
        payer_union=firm,
        rank=1,
        explanation="历下区某公司工会补助200元（本单位第1位，不限名额）",
    )
    detail = client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    assert "市级补助 1000元" in detail and "历下区某公司工会补助 200元" in detail
    assert f"由{firm.name}发放" in detail and "本单位第1位，不限名额" in detail
