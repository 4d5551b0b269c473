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


# Real servers for the several-machines tests (S3, killable workers): see tests/servers.py.
from tests.servers import celery_workers, s3_server, s3_storage  # noqa: E402, F401
