"""On the phone: a worker whose subsidy is already listed is warned before withdrawing,
and after withdrawing sees that the money is void (issue 11, case 1)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from applications.models import ApplicationStatus
from payouts.models import Award, AwardStatus
from tests.browser import fits_width, sign_in

from .conftest import publish_and_end

ARTIFACTS = Path(__file__).parent.parent / "applications" / "artifacts"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_worker_is_warned_then_withdraws_and_sees_the_money_void(live_server, phone_page, scenario, city_finance):
    publish_and_end(scenario, city_finance)
    app = scenario.applications[3]
    page = phone_page
    sign_in(page, live_server, app.worker.user)

    page.goto(f"{live_server.url}/applications/{app.pk}/")
    page.click("text=撤回申请")
    warning = page.locator(".msg.error").first
    expect(warning).to_contain_text("撤回后将放弃已拟发的补助：省级补助1000元、市级补助1000元")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "withdraw-warning.png"), full_page=True)
    page.fill("#id_reason", "已换工作")
    page.check("#id_confirm")
    page.click("button[type=submit]")

    expect(page.locator("body")).to_contain_text("申请已撤回")
    expect(page.locator("body")).to_contain_text("已拟发的补助已作废")
    assert fits_width(page, 390)
    page.screenshot(path=str(ARTIFACTS / "withdraw-done.png"), full_page=True)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN
    assert set(Award.objects.filter(application=app).values_list("status", flat=True)) == {AwardStatus.VOID}
