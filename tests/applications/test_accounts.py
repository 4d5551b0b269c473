"""Registration, login throttling (Redis cache) and the profile page."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from applications.models import Worker
from applications.throttle import ALERT_AFTER, MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_IP, MAX_FAILURES_PER_PAIR
from quotas.models import AuditLog
from tests.conftest import sms_code_in

from .factories import make_card, make_id_number, make_user

pytestmark = pytest.mark.django_db
REAL_HASHERS = list(django_settings.PASSWORD_HASHERS)
LOCKED = "密码错误次数过多"


def _login(client, username, password, **extra):
    return client.post(reverse("applications:login"), {"username": username, "password": password}, **extra)


def test_register_hashes_password_and_uses_phone_as_username(client, settings, sms_outbox):
    settings.PASSWORD_HASHERS = REAL_HASHERS
    client.post(reverse("applications:register"), {"phone": "13912345678", "send": "1"})
    response = client.post(
        reverse("applications:register"),
        {
            "phone": "13912345678",
            "code": sms_code_in(sms_outbox, "13912345678"),
            "password1": "Gx7!plk-2024",
            "password2": "Gx7!plk-2024",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("applications:profile")
    user = get_user_model().objects.get(username="13912345678")
    assert user.password.startswith("pbkdf2_sha256$") and "Gx7!plk-2024" not in user.password


@pytest.mark.parametrize(
    ("phone", "p1", "p2", "message"),
    [
        ("1391234567", "Gx7!plk-2024", "Gx7!plk-2024", "11位手机号"),
        ("13912345678", "Gx7!plk-2024", "Gx7!plk-2025", "不一致"),
        ("13912345678", "12345678", "12345678", "密码"),
    ],
)
def test_register_refuses_bad_input(client, phone, p1, p2, message):
    data = {"phone": phone, "code": "123456", "password1": p1, "password2": p2}
    response = client.post(reverse("applications:register"), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not get_user_model().objects.exists()


def test_failures_hold_back_the_pair_not_the_owner_elsewhere():
    user = make_user(password="Right-pass-2024")
    attacker = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(MAX_FAILURES_PER_PAIR):
        assert "不正确" in _login(attacker, user.username, "wrong").content.decode()
    # The guesser's address is held back, even with the right password...
    response = _login(attacker, user.username, "Right-pass-2024")
    assert response.status_code == 200 and LOCKED in response.content.decode()
    # ...but the owner, from their own address, is not locked out.
    owner = Client(REMOTE_ADDR="10.0.0.2")
    assert _login(owner, user.username, "Right-pass-2024").status_code == 302


def test_spread_out_guessing_asks_everyone_for_an_sms_code_and_tells_the_owner(sms_outbox, tree):
    from .factories import make_worker

    worker = make_worker(tree["shop"])
    worker.user.set_password("Right-pass-2024")
    worker.user.save()
    for i in range(MAX_FAILURES_PER_ACCOUNT):
        _login(Client(REMOTE_ADDR=f"10.50.{i // 200}.{i % 200}"), worker.phone, "wrong")
    alerts = [m for m in sms_outbox if m.template == "login_alert"]
    assert len(alerts) == 1 and alerts[0].phone == worker.phone and alerts[0].params["count"] == ALERT_AFTER
    response = _login(Client(REMOTE_ADDR="10.99.0.1"), worker.phone, "Right-pass-2024")
    assert LOCKED in response.content.decode() and "短信验证码登录" in response.content.decode()


def test_forged_forwarded_for_neither_resets_nor_dodges_the_ip_counter(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    client = Client(REMOTE_ADDR="10.9.9.9")
    for i in range(MAX_FAILURES_PER_IP):
        # A different account each time (so the account counter never trips) and a new forged header.
        _login(client, f"1380000{i:04d}", "wrong", HTTP_X_FORWARDED_FOR=f"1.2.3.{i}")
    user = make_user(password="Right-pass-2024")
    response = _login(client, user.username, "Right-pass-2024", HTTP_X_FORWARDED_FOR="8.8.8.8")
    assert LOCKED in response.content.decode()


def test_trusted_proxy_uses_the_address_it_saw(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for i in range(MAX_FAILURES_PER_IP):
        # The client forges a left-most entry; our proxy appends the real address on the right.
        _login(proxy, f"1370000{i:04d}", "wrong", HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 203.0.113.7")
    user = make_user(password="Right-pass-2024")
    locked = _login(proxy, user.username, "Right-pass-2024", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7")
    assert LOCKED in locked.content.decode()
    # Another real client behind the same proxy is not affected.
    ok = _login(proxy, user.username, "Right-pass-2024", HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert ok.status_code == 302


def test_success_resets_account_counter():
    user = make_user(password="Right-pass-2024")
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(MAX_FAILURES_PER_PAIR - 1):
        _login(client, user.username, "wrong")
    assert _login(client, user.username, "Right-pass-2024").status_code == 302
    client.logout()
    for _ in range(MAX_FAILURES_PER_PAIR - 1):
        _login(client, user.username, "wrong")
    assert _login(client, user.username, "Right-pass-2024").status_code == 302


def test_profile_saves_encrypted_and_masked(client, tree):
    user = make_user()
    client.force_login(user)
    number, card = make_id_number(), make_card()
    response = client.post(
        reverse("applications:profile"),
        {
            "name": "王小明",
            "id_number": number,
            "employer": "泉城软件公司",
            "union": tree["shop"].pk,
            "bank_name": "中国银行",
            "bank_card": card,
            "is_frontline": "on",
            "is_migrant": "on",
            "categories": [],
            "holder_declaration": "on",
        },
    )
    assert response.status_code == 302
    worker = Worker.objects.get(user=user)
    assert worker.phone == user.username and worker.is_migrant and worker.birth_date.year == 1990
    page = client.get(reverse("applications:profile")).content.decode()
    assert number not in page and card not in page
    assert worker.id_number_masked in page and worker.bank_card_masked in page
    assert AuditLog.objects.filter(action="worker_profile_create", object_id=str(worker.pk)).exists()
    # The holder declaration is required.
    response = client.post(reverse("applications:profile"), {"name": "王小明", "union": tree["shop"].pk})
    assert "必填" in response.content.decode() or "这个字段是必填项" in response.content.decode()


def test_same_id_number_cannot_register_twice(client, tree):
    number = make_id_number()
    from .factories import make_worker

    make_worker(tree["shop"], id_number=number)
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("applications:profile"),
        {
            "name": "冒名",
            "id_number": number,
            "employer": "x",
            "union": tree["shop"].pk,
            "bank_name": "x",
            "bank_card": make_card(),
            "is_frontline": "on",
            "holder_declaration": "on",
        },
    )
    assert "已被其他账号登记" in response.content.decode()
    assert not Worker.objects.filter(user=user).exists()


def test_union_search_json(client, tree):
    client.force_login(make_user())
    data = client.get(reverse("applications:union_search"), {"q": "泉城"}).json()["results"]
    names = {r["name"] for r in data}
    assert "泉城软件公司工会" in names and "泉城路街道工会" in names
    assert "济南市总工会" not in names  # only grassroots/township unions can be picked
