"""On the phone: a worker whose subsidy is already listed is warned before withdrawing,
and after withdrawing sees that the money is void (issue 11, case 1)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from applications.models import ApplicationStatus
from payouts.models import Award, AwardStatus
from tests.applications.test_browser import page  # noqa: F401 - the phone-sized Chromium fixture

from .conftest import publish_and_end

ARTIFACTS = Path(__file__).parent.parent / "applications" / "artifacts"


def _signed_in(page, live_server, user) -> None:  # noqa: F811
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_worker_is_warned_then_withdraws_and_sees_the_money_void(live_server, page, scenario, city_finance):  # noqa: F811
    publish_and_end(scenario, city_finance)
    app = scenario.applications[3]
    _signed_in(page, live_server, app.worker.user)

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
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "withdraw-done.png"), full_page=True)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN
    assert set(Award.objects.filter(application=app).values_list("status", flat=True)) == {AwardStatus.VOID}
