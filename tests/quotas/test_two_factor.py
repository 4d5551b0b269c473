"""Staff sign-in: /admin/login/ throttled, TOTP enrolment on first login, recovery codes
printed once and single use, every staff page behind the second factor, reset by a
manager above. These sign in with the password (``client.login`` / the login page), not
``force_login``, so the real enforcement is what they meet."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.throttle import MAX_FAILURES_PER_PAIR
from quotas.models import AdminRole, AuditLog, UnionAdmin, UnionLevel
from quotas.services import union_admin_create, union_create
from quotas.two_factor import staff_otp_reset

pytestmark = pytest.mark.django_db
PASSWORD = "Staff-pass-2024!"


@pytest.fixture(autouse=True)
def _redis_cache(settings):
    import uuid

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/3",
            "KEY_PREFIX": f"qx-otp-{uuid.uuid4().hex[:8]}",
        }
    }


@pytest.fixture
def unions(db):
    city = union_create(name="济南市总工会", code="370100", level=UnionLevel.CITY)
    county = union_create(name="历下区总工会", code="370102", level=UnionLevel.COUNTY, parent=city)
    return {"city": city, "county": county}


def staff(username, union, role=AdminRole.MANAGER):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    union_admin_create(user=user, union=union, role=role)
    return get_user_model().objects.get(pk=user.pk)


def _signed_in(user) -> Client:
    client = Client(REMOTE_ADDR="10.20.0.1")
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _enrol(client, user) -> list[str]:
    page = client.get(reverse("staff_otp_setup")).content.decode()
    assert "data:image/svg+xml" in page  # the QR code, from this server
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("staff_otp_setup"), {"token": f"{totp(device.bin_key):06d}", "next": "/admin/"})
    return re.findall(r"<li><code>([^<]+)</code></li>", response.content.decode())


def test_finance_cannot_reach_any_page_before_enrolling(unions):
    finance = staff("jinan_finance", unions["city"], AdminRole.FINANCE)
    client = _signed_in(finance)
    for url in ("/admin/", "/admin/quotas/auditlog/", "/payouts/", "/admin/applications/worker/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("staff_otp_setup")), url
    # A wrong code does not enrol.
    client.get(reverse("staff_otp_setup"))
    assert "验证码不正确" in client.post(reverse("staff_otp_setup"), {"token": "000000"}).content.decode()
    assert not TOTPDevice.objects.filter(user=finance, confirmed=True).exists()
    time.sleep(1.1)  # django-otp throttles the device for a second after a wrong code
    codes = _enrol(client, finance)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/admin/").status_code == 200
    assert AuditLog.objects.filter(action="staff_otp.enrol", object_id=str(finance.pk)).exists()
    # Printed once: the page cannot be had again, a second visit goes to the code prompt.
    fresh = _signed_in(finance)
    again = fresh.get(reverse("staff_otp_setup"))
    assert again.status_code == 302 and again["Location"].startswith(reverse("staff_otp_verify"))


def test_next_sign_in_asks_for_a_code_and_a_recovery_code_works_once(unions):
    manager = staff("jinan_city", unions["city"])
    codes = _enrol(_signed_in(manager), manager)
    client = _signed_in(manager)
    response = client.get("/admin/")
    assert response["Location"].startswith(reverse("staff_otp_verify"))
    assert client.post(reverse("staff_otp_verify"), {"token": codes[0], "next": "/admin/"}).status_code == 302
    assert client.get("/admin/").status_code == 200
    log = AuditLog.objects.get(action="staff_otp.recovery_use")
    assert log.detail["recovery_codes_left"] == 9
    other = _signed_in(manager)
    page = other.post(reverse("staff_otp_verify"), {"token": codes[0]}).content.decode()
    assert "验证码不正确" in page and other.get("/admin/").status_code == 302
    assert StaticToken.objects.filter(token=codes[0]).count() == 0
    # The authenticator's code works (the next step's: the current one was used to enrol,
    # and a TOTP code is never accepted twice).
    device = TOTPDevice.objects.get(user=manager, confirmed=True)
    third = _signed_in(manager)
    third.post(reverse("staff_otp_verify"), {"token": f"{totp(device.bin_key, drift=1):06d}"})
    assert third.get("/admin/").status_code == 200


@pytest.mark.parametrize("reviewers_need_it", [True, False])
def test_reviewers_need_it_unless_the_setting_turns_it_off(unions, settings, reviewers_need_it):
    settings.STAFF_OTP_REVIEWERS = reviewers_need_it
    reviewer = staff("lixia_reviewer", unions["county"], AdminRole.REVIEWER)
    manager = staff("lixia_manager", unions["county"], AdminRole.MANAGER)
    assert (_signed_in(reviewer).get("/admin/").status_code == 302) is reviewers_need_it
    assert _signed_in(manager).get("/admin/").status_code == 302  # managers always


def test_workers_pages_are_not_affected(unions):
    worker = get_user_model().objects.create_user(username="13900009999", password=PASSWORD)
    response = _signed_in(worker).get(reverse("applications:home"))
    assert response.status_code == 302 and response["Location"] == reverse("applications:profile")


def test_device_reset_only_by_a_manager_above(unions):
    city_manager = staff("jinan_city", unions["city"])
    county_manager = staff("lixia_manager", unions["county"])
    colleague = staff("lixia_other", unions["county"])
    _enrol(_signed_in(county_manager), county_manager)
    target = UnionAdmin.objects.get(user=county_manager)
    with pytest.raises(Exception, match="上级工会"):
        staff_otp_reset(actor=colleague, target=target)
    assert TOTPDevice.objects.filter(user=county_manager).exists()
    # Through the admin action, as the city manager (signed in with both factors).
    client = _signed_in(city_manager)
    _enrol(client, city_manager)
    response = client.post(
        reverse("admin:quotas_unionadmin_changelist"),
        {"action": "two_factor_reset", "_selected_action": [target.pk]},
        follow=True,
    )
    assert "已重置 1 个账号" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=county_manager).exists()
    log = AuditLog.objects.get(action="staff_otp.reset")
    assert log.actor == city_manager and log.object_id == str(target.pk)
    # The next sign-in enrols again.
    assert _signed_in(county_manager).get("/admin/")["Location"].startswith(reverse("staff_otp_setup"))


def _admin_login(client, username, password, **extra):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"}, **extra)


def test_admin_login_is_throttled_per_account_and_address(unions, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    finance = staff("jinan_finance", unions["city"], AdminRole.FINANCE)
    attacker = Client(REMOTE_ADDR="10.30.0.1")
    for i in range(MAX_FAILURES_PER_PAIR):
        _admin_login(attacker, "jinan_finance", f"wrong-{i}", HTTP_X_FORWARDED_FOR=f"5.5.5.{i}")
    # The right password from the guessing address is refused, forged header or not...
    held = _admin_login(attacker, "jinan_finance", PASSWORD, HTTP_X_FORWARDED_FOR="7.7.7.7")
    assert held.status_code == 200 and "密码错误次数过多" in held.content.decode()
    # ...while the owner at the office signs in (and then meets the second factor).
    owner = Client(REMOTE_ADDR="10.30.0.2")
    response = _admin_login(owner, "jinan_finance", PASSWORD)
    assert response.status_code == 302
    assert owner.get("/admin/")["Location"].startswith(reverse("staff_otp_setup"))
    assert finance.pk
