"""Shared fixtures: the union tree, accounts, a real Celery worker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _tests_run_on_postgresql(django_db_setup, django_db_blocker):
    # The suite is meant for PostgreSQL: locks and window functions are what we test.
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("make test 需要 PostgreSQL：请设置 DATABASE_URL=postgres://postgres@127.0.0.1:5432/qiuxue", 2)


@pytest.fixture(autouse=True)
def _private_media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def celery_worker_process(django_db_blocker):
    """A real ``celery worker`` process on Redis, pointed at the test database.

    Use with ``@pytest.mark.django_db(transaction=True)``: the worker is another process and
    only sees committed rows. Eager mode is turned off for the duration of the test.
    """
    from qiuxue.celery import app

    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    queue = f"qiuxue-test-{os.getpid()}-{time.monotonic_ns()}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "qiuxue",
            "worker",
            "-Q",
            queue,
            "-c",
            "1",
            "--pool",
            "solo",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    old = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=0.5, destination=None) or []
            if any(queue in str(r) or r for r in replies):
                break
            if proc.poll() is not None:
                raise RuntimeError("celery worker exited at start")
        yield proc
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = old
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(autouse=True)
def _cache_guard_fresh():
    # A test that kills a Redis leaves "cache down" behind in this process: start clean.
    from qiuxue.cache_guard import cache_guard_reset

    cache_guard_reset()
    yield
    cache_guard_reset()


@pytest.fixture
def sms_outbox(settings):
    """Every SMS sent, through the in-memory backend (applications.sms.LocmemSmsBackend)."""
    from applications import sms

    settings.SMS_BACKEND = "applications.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def sms_code_in(outbox, phone: str) -> str:
    """The code of the last SMS sent to ``phone``."""
    message = next(m for m in reversed(outbox) if m.phone == phone)
    return message.params["code"]


def staff_session_verify(session, user) -> None:
    """Mark a staff session as past its second factor, as ``django_otp.login`` does after a
    correct code: a real confirmed TOTP device of the user, its id in the session. The
    enforcement itself (quotas.two_factor.StaffTwoFactorMiddleware) stays on."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from quotas.two_factor import staff_otp_required

    if not staff_otp_required(user):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _staff_force_login_is_verified(monkeypatch):
    """Staff two-factor is required in every environment, tests included. A test that
    signs staff in with ``client.force_login`` skips the password; this skips the second
    factor the same way, by giving the session a verified device (see
    ``staff_session_verify``). For a worker it likewise skips the SMS re-check before a
    sensitive change (the session carries a fresh mark, as after a correct code). Tests of
    sign-in and of the re-check use ``client.login`` / the pages, and meet the real checks."""
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        if user.is_staff or user.is_superuser:
            staff_session_verify(session, user)
        else:
            import time

            from applications.views.account import REAUTH_SESSION_KEY

            session[REAUTH_SESSION_KEY] = time.time()
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def phone_page(monkeypatch):
    """Chromium at a worker's phone size (390×844, 2× pixels). See ``tests/browser.py``."""
    from tests.browser import PHONE, chromium_page

    # Playwright's sync API keeps an event loop on this thread; the ORM calls between
    # steps are ordinary synchronous test code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium_page(PHONE, scale=2) as page:
        yield page


@pytest.fixture
def desk_page(monkeypatch):
    """Chromium at a union clerk's laptop size (1366×768)."""
    from tests.browser import DESK, chromium_page

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium_page(DESK, downloads=True) as page:
        yield page


# Real servers for the several-machines tests (S3, killable workers): see tests/servers.py.
from tests.servers import celery_workers, s3_server, s3_storage  # noqa: E402, F401
