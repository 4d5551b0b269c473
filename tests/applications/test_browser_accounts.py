"""On a 390×844 phone screen: register → SMS code → profile, and 忘记密码; the countdown on
the 获取验证码 button runs (its script is in static/, under the page's CSP)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import sms_code_in

from .factories import make_phone, make_user
from .test_browser import page  # noqa: F401  (the phone-sized Chromium fixture, CSP watched)

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_register_with_a_code_then_profile(live_server, page, sms_outbox):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    phone = make_phone()
    page.goto(f"{live_server.url}/register/")
    page.fill("#id_phone", phone)
    page.click("button[name=send]")
    expect(page.locator(".msg.success")).to_contain_text(f"{phone[:3]}****{phone[-4:]}")
    # The minimum interval, counting down on the button.
    button = page.locator("button[name=send]")
    expect(button).to_be_disabled()
    expect(button).to_contain_text("秒后重新获取")
    page.screenshot(path=str(ARTIFACTS / "register-code-390.png"), full_page=True)
    page.fill("#id_code", sms_code_in(sms_outbox, phone))
    page.fill("#id_password1", "Strong-pass-2024")
    page.fill("#id_password2", "Strong-pass-2024")
    page.click("button.primary[type=submit]")
    expect(page.locator("h1")).to_have_text("实名信息")
    assert page.viewport_size == {"width": 390, "height": 844}
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_forgotten_password_by_sms(live_server, page, sms_outbox):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    user = make_user(password="Old-pass-2024x")
    page.goto(f"{live_server.url}/login/")
    page.click("text=忘记密码")
    expect(page.locator("h1")).to_have_text("忘记密码")
    page.fill("#id_phone", user.username)
    page.click("button[name=send]")
    expect(page.locator(".msg.success")).to_be_visible()
    page.fill("#id_code", sms_code_in(sms_outbox, user.username))
    page.fill("#id_password1", "New-pass-2024y")
    page.fill("#id_password2", "New-pass-2024y")
    page.screenshot(path=str(ARTIFACTS / "reset-390.png"), full_page=True)
    page.click("button.primary[type=submit]")
    expect(page.locator(".msg.success")).to_contain_text("密码已重设")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "New-pass-2024y")
    page.click("button[type=submit]")
    expect(page).not_to_have_url(f"{live_server.url}/login/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
