"""SMS codes prove the phone: registration, 忘记密码, SMS login, phone change, sensitive
changes; the codes' limits; the same answer for registered and unregistered numbers."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications.models import SmsCode, Worker
from applications.sms_codes import MAX_PER_IP_HOUR, MAX_PER_PHONE_HOUR, MIN_INTERVAL
from qiuxue.crypto import hmac_index
from quotas.models import AuditLog
from tests.conftest import sms_code_in

from .factories import make_card, make_phone, make_user, make_worker

pytestmark = pytest.mark.django_db
PASSWORD = "Gx7!plk-2024"


def _neutral(page: str, phone: str) -> str:
    """The page with the number typed, its mask and the CSRF token blanked out."""
    page = page.replace(phone, "X").replace(phone[:3] + "****" + phone[-4:], "X")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def _send(client, url, phone, **extra):
    return client.post(url, {"phone": phone, "send": "1"}, **extra)


def _register(client, phone, code, password=PASSWORD):
    return client.post(
        reverse("applications:register"), {"phone": phone, "code": code, "password1": password, "password2": password}
    )


def test_register_needs_the_code_sent_to_the_number(client, sms_outbox):
    phone = make_phone()
    page = _send(client, reverse("applications:register"), phone).content.decode()
    assert f"验证码短信已发送至 {phone[:3]}****{phone[-4:]}" in page  # masked in the message
    code = sms_code_in(sms_outbox, phone)
    assert len(code) == 6 and code.isdigit()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert "验证码不正确" in _register(client, phone, wrong).content.decode()
    assert not get_user_model().objects.filter(username=phone).exists()
    response = _register(client, phone, code)
    assert response.status_code == 302 and response["Location"] == reverse("applications:profile")
    user = get_user_model().objects.get(username=phone)
    assert AuditLog.objects.filter(action="account.register", object_id=str(user.pk)).exists()
    # Single use: the same code cannot register again (nor anything else).
    row = SmsCode.objects.get(phone=phone)
    assert row.used_at is not None and code not in row.code_hash and len(row.code_hash) == 64


def test_code_expires_after_five_minutes(client, sms_outbox):
    phone = make_phone()
    _send(client, reverse("applications:register"), phone)
    code = sms_code_in(sms_outbox, phone)
    SmsCode.objects.filter(phone=phone).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "验证码不正确" in _register(client, phone, code).content.decode()
    assert not get_user_model().objects.filter(username=phone).exists()


def test_code_dies_after_five_wrong_tries(client, sms_outbox):
    phone = make_phone()
    _send(client, reverse("applications:register"), phone)
    code = sms_code_in(sms_outbox, phone)
    for i in range(5):
        _register(client, phone, f"{(int(code) + 1 + i) % 10**6:06d}")
    assert SmsCode.objects.get(phone=phone).attempts == 5
    # The sixth try is the right code, and is refused: the code is spent.
    assert "验证码不正确" in _register(client, phone, code).content.decode()
    assert not get_user_model().objects.filter(username=phone).exists()


def test_register_answers_the_same_for_a_registered_number(client, sms_outbox):
    known, unknown = make_user().username, make_phone()
    url = reverse("applications:register")
    pages = {}
    for phone in (known, unknown):
        started = time.perf_counter()
        response = _send(Client(REMOTE_ADDR=f"10.7.0.{len(pages) + 1}"), url, phone)
        pages[phone] = (response.status_code, response.content.decode(), time.perf_counter() - started)
    (s1, p1, t1), (s2, p2, t2) = pages[known], pages[unknown]
    assert s1 == s2 == 200
    assert _neutral(p1, known) == _neutral(p2, unknown)
    assert "已注册" not in p1
    # Same work on both paths (one row, one SMS): the same timing class.
    assert max(t1, t2) < 10 * min(t1, t2) + 0.05
    assert SmsCode.objects.filter(phone=known).count() == SmsCode.objects.filter(phone=unknown).count() == 1
    # The owner of the registered number is told by SMS; nobody gets a code for it.
    to_known = [m for m in sms_outbox if m.phone == known]
    assert [m.template for m in to_known] == ["registered"] and SmsCode.objects.get(phone=known).code_hash == ""
    # And the final step answers as for any wrong code.
    assert "验证码不正确" in _register(client, known, "123456").content.decode()


def test_reset_answers_the_same_and_sets_a_new_password(client, sms_outbox, settings):
    user = make_user(password="Old-pass-2024x")
    unknown = make_phone()
    url = reverse("applications:password_reset")
    p_known = _send(Client(REMOTE_ADDR="10.8.0.1"), url, user.username).content.decode()
    p_unknown = _send(Client(REMOTE_ADDR="10.8.0.2"), url, unknown).content.decode()
    assert _neutral(p_known, user.username) == _neutral(p_unknown, unknown)
    assert [m.template for m in sms_outbox if m.phone == unknown] == ["not_registered"]
    # A session open elsewhere ends with the reset.
    other = Client()
    other.force_login(user)
    code = sms_code_in(sms_outbox, user.username)
    data = {"phone": user.username, "code": code, "password1": "New-pass-2024y", "password2": "New-pass-2024y"}
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == reverse("applications:login")
    user.refresh_from_db()
    assert user.check_password("New-pass-2024y")
    assert other.get(reverse("applications:profile")).status_code == 302
    assert AuditLog.objects.filter(action="account.password_reset", object_id=str(user.pk)).exists()


def test_send_interval_and_limits_per_number_and_per_address(client, sms_outbox):
    url = reverse("applications:register")
    phone = make_phone()
    assert "验证码短信已发送" in _send(client, url, phone).content.decode()
    again = _send(client, url, phone).content.decode()
    assert "发送太频繁" in again and 'data-countdown="' in again
    assert SmsCode.objects.filter(phone=phone).count() == 1
    # Past the interval, up to the hourly cap per number.
    for _ in range(MAX_PER_PHONE_HOUR - 1):
        SmsCode.objects.filter(phone=phone).update(created_at=timezone.now() - MIN_INTERVAL - timedelta(seconds=1))
        assert "验证码短信已发送" in _send(client, url, phone).content.decode()
    SmsCode.objects.filter(phone=phone).update(created_at=timezone.now() - MIN_INTERVAL - timedelta(seconds=1))
    assert "1小时内获取验证码次数已达上限" in _send(client, url, phone).content.decode()
    # Per address: new numbers every time, one client address (forged X-Forwarded-For ignored).
    spray = Client(REMOTE_ADDR="10.66.0.1")
    for i in range(MAX_PER_IP_HOUR):
        _send(spray, url, make_phone(), HTTP_X_FORWARDED_FOR=f"1.1.1.{i}")
    page = _send(spray, url, make_phone(), HTTP_X_FORWARDED_FOR="2.2.2.2").content.decode()
    assert "当前网络获取验证码次数过多" in page


def test_countdown_button_and_script(client, sms_outbox):
    page = _send(client, reverse("applications:register"), make_phone()).content.decode()
    assert 'data-countdown="60"' in page and "applications/sms-countdown.js" in page


def test_demo_shows_the_sms_on_the_page(client, settings, caplog):
    settings.SMS_BACKEND = "applications.sms.LoggingSmsBackend"
    settings.SMS_SHOW_ON_PAGE = True
    phone = make_phone()
    page = _send(client, reverse("applications:register"), phone).content.decode()
    assert "演示环境：未发送任何短信" in page
    code = page.split("您的验证码为")[1][:6]
    assert _register(client, phone, code).status_code == 302


def test_sms_login_lets_the_owner_in_when_password_login_is_held(sms_outbox):
    from applications.throttle import MAX_FAILURES_PER_PAIR

    user = make_user(password="Right-pass-2024")
    client = Client(REMOTE_ADDR="10.3.3.3")
    for _ in range(MAX_FAILURES_PER_PAIR):
        client.post(reverse("applications:login"), {"username": user.username, "password": "wrong"})
    held = client.post(reverse("applications:login"), {"username": user.username, "password": "Right-pass-2024"})
    assert "短信验证码登录" in held.content.decode() and held.status_code == 200
    _send(client, reverse("applications:sms_login"), user.username)
    code = sms_code_in(sms_outbox, user.username)
    response = client.post(reverse("applications:sms_login"), {"phone": user.username, "code": code})
    assert response.status_code == 302
    assert client.get(reverse("applications:home")).wsgi_request.user == user
    # And the pair is free again for password login.
    client.logout()
    ok = client.post(reverse("applications:login"), {"username": user.username, "password": "Right-pass-2024"})
    assert ok.status_code == 302


def _signed_in(client, user):
    """Sign in with the password (not force_login, which also skips the SMS re-check)."""
    user.set_password(PASSWORD)
    user.save()
    assert client.login(username=user.username, password=PASSWORD)


def _reauth(client, user, outbox):
    _send(client, reverse("applications:reauth"), "")
    code = sms_code_in(outbox, user.username)
    response = client.post(reverse("applications:reauth"), {"code": code, "next": reverse("applications:profile")})
    assert response.status_code == 302


def test_password_change_asks_for_a_code_to_the_current_phone(client, sms_outbox):
    user = make_user()
    _signed_in(client, user)
    response = client.get(reverse("applications:password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("applications:reauth"))
    _reauth(client, user, sms_outbox)
    data = {"password1": "Brand-new-2024z", "password2": "Brand-new-2024z"}
    assert client.post(reverse("applications:password_change"), data).status_code == 302
    user.refresh_from_db()
    assert user.check_password("Brand-new-2024z")
    assert AuditLog.objects.filter(action="account.password_change").exists()
    # The mark is used up: the next change asks again.
    assert client.get(reverse("applications:password_change")).status_code == 302


def test_phone_change_proves_both_numbers(client, sms_outbox, tree):
    worker = make_worker(tree["shop"])
    user, old = worker.user, worker.phone
    _signed_in(client, user)
    assert client.get(reverse("applications:phone_change")).status_code == 302
    _reauth(client, user, sms_outbox)
    new = make_phone()
    _send(client, reverse("applications:phone_change"), new)
    code = sms_code_in(sms_outbox, new)
    response = client.post(reverse("applications:phone_change"), {"phone": new, "code": code})
    assert response.status_code == 302
    user.refresh_from_db()
    worker.refresh_from_db()
    assert user.username == new and worker.phone == new
    log = AuditLog.objects.get(action="account.phone_change")
    assert old not in str(log.detail) and new not in str(log.detail)


def test_a_number_in_use_cannot_be_taken_by_phone_change(client, sms_outbox):
    user, other = make_user(), make_user()
    _signed_in(client, user)
    _reauth(client, user, sms_outbox)
    page = _send(client, reverse("applications:phone_change"), other.username).content.decode()
    assert "已被其他账号使用" in page
    assert not [m for m in sms_outbox if m.phone == other.username]


def _profile_post(client, worker, tree, card):
    return client.post(
        reverse("applications:profile"),
        {
            "name": worker.name,
            "employer": worker.employer,
            "union": tree["shop"].pk,
            "bank_name": worker.bank_name,
            "bank_card": card,
            "is_frontline": "on",
            "holder_declaration": "on",
        },
    )


def test_new_bank_card_needs_a_code_to_the_current_phone(client, sms_outbox, tree):
    worker = make_worker(tree["shop"])
    _signed_in(client, worker.user)
    card = make_card()
    page = _profile_post(client, worker, tree, card).content.decode()
    assert "修改银行卡号需要先验证本人手机" in page
    worker.refresh_from_db()
    assert worker.bank_card_hmac != hmac_index(card)
    _reauth(client, worker.user, sms_outbox)
    assert _profile_post(client, worker, tree, card).status_code == 302
    worker = Worker.objects.get(pk=worker.pk)
    assert worker.bank_card_hmac == hmac_index(card)
