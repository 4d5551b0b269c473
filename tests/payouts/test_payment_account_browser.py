"""On the phone: the worker chooses the 齐鲁工惠 wallet on 收款账户 and the application's page
lists every source that pays them (issue 16)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from quotas.models import ChannelKind, PaymentChannel
from tests.browser import fits_width, sign_in

ARTIFACTS = Path(__file__).parent.parent / "applications" / "artifacts"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_worker_sets_a_wallet_account_on_the_phone(live_server, phone_page, scenario):
    wallet = PaymentChannel.objects.create(
        program=scenario.program,
        kind=ChannelKind.WALLET,
        name="齐鲁工惠APP 我的钱包",
        account_label="钱包电子账号",
        min_length=16,
        max_length=16,
    )
    app = scenario.applications[1]
    app.worker.applications.update(status="in_review")  # before approval: saved at once
    page = phone_page
    sign_in(page, live_server, app.worker.user)  # force_login: the phone was just re-checked
    page.goto(f"{live_server.url}/profile/payment/")
    page.check(f"input[name=channel][value='{wallet.pk}']")
    page.fill("#id_account", "6000 1234 5678 90")
    page.click("button[type=submit]")
    expect(page.locator("body")).to_contain_text("应为16位数字")
    page.fill("#id_account", "6000123456789012")
    page.click("button[type=submit]")
    expect(page.locator("#current-account")).to_have_text("齐鲁工惠APP 我的钱包 6000 **** **** 9012")
    assert fits_width(page, 390)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "payment-account.png"), full_page=True)

    app.worker.applications.update(status="approved")
    page.goto(f"{live_server.url}/applications/{app.pk}/")
    expect(page.locator("#money")).to_contain_text("市级补助 1000元")
    expect(page.locator("#money")).to_contain_text("由济南市总工会发放")
    assert fits_width(page, 390)
