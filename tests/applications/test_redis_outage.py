"""Redis can die: a Redis server of the test's own, on a free loopback port, killed by PID
mid-test. A signed-in worker keeps browsing and saving, logins keep working with the
throttle in the database, and the outage is logged once, not per request."""

import logging
import socket
import subprocess
import time

import pytest
from django.test import Client
from django.urls import reverse

from applications.models import ThrottleCount
from applications.throttle import MAX_FAILURES_PER_PAIR

from .factories import make_worker

pytestmark = pytest.mark.django_db
PASSWORD = "Qx-test-pass-2024"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_redis(settings):
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.SESSION_ENGINE = "qiuxue.sessions"
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=5)


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def _profile_data(worker, tree) -> dict:
    return {
        "name": worker.name,
        "employer": worker.employer,
        "union": tree["shop"].pk,
        "bank_name": worker.bank_name,
        "position": "钳工",
        "is_frontline": "on",
        "holder_declaration": "on",
    }


def test_a_dead_redis_logs_nobody_out_and_stops_no_login(own_redis, tree):
    worker = make_worker(tree["shop"])
    worker.user.set_password(PASSWORD)
    worker.user.save()
    browsing = Client(REMOTE_ADDR="10.40.0.1")
    assert (
        browsing.post(reverse("applications:login"), {"username": worker.phone, "password": PASSWORD}).status_code
        == 302
    )
    assert browsing.get(reverse("applications:profile")).status_code == 200

    collect = _Collect()
    logger = logging.getLogger("qiuxue.cache")
    logger.addHandler(collect)
    try:
        own_redis.kill()  # by PID: the server is gone, its port refuses
        own_redis.wait(timeout=5)

        # The signed-in worker keeps browsing and saving (session read from the database).
        assert browsing.get(reverse("applications:profile")).status_code == 200
        assert browsing.post(reverse("applications:profile"), _profile_data(worker, tree)).status_code == 302
        worker.refresh_from_db()
        assert worker.position == "钳工"
        assert browsing.get(reverse("applications:messages")).status_code == 200

        # A new login works; failures are counted in the database and still hold back the pair.
        fresh = Client(REMOTE_ADDR="10.40.0.2")
        for _ in range(MAX_FAILURES_PER_PAIR):
            fresh.post(reverse("applications:login"), {"username": worker.phone, "password": "wrong"})
        assert ThrottleCount.objects.filter(key__startswith="login-fail:pair:", count=MAX_FAILURES_PER_PAIR).exists()
        held = fresh.post(reverse("applications:login"), {"username": worker.phone, "password": PASSWORD})
        assert held.status_code == 200 and "密码错误次数过多" in held.content.decode()
        other = Client(REMOTE_ADDR="10.40.0.3")
        response = other.post(reverse("applications:login"), {"username": worker.phone, "password": PASSWORD})
        assert response.status_code == 302
        assert other.get(reverse("applications:profile")).status_code == 200
    finally:
        logger.removeHandler(collect)
    # Dozens of requests, one log line for the outage.
    assert len(collect.records) == 1 and "Redis" in collect.records[0].getMessage()
