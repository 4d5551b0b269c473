"""Real servers on loopback for the several-machines tests (issue 14), each started by the
test session and stopped by its PID: an S3-protocol server (moto's standalone server,
installed from requirements-dev.txt), Celery workers that a test may kill with SIGKILL,
gunicorn and Debian's nginx (deploy/nginx/qiuxue.conf rendered into a temporary folder).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import closing
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited at start ({proc.args})")
        with closing(socket.socket()) as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def stop(proc: subprocess.Popen, *, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    if proc.poll() is not None:
        return
    os.kill(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


# --- S3 ---------------------------------------------------------------------------------

S3_KEY, S3_SECRET, S3_REGION = "qiuxue-test-key", "qiuxue-test-secret", "us-east-1"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server on a free loopback port for the whole session."""
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "AWS_ACCESS_KEY_ID": S3_KEY, "AWS_SECRET_ACCESS_KEY": S3_SECRET},
    )
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
        log.close()


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
        region_name=S3_REGION,
    )


@pytest.fixture
def s3_storage(s3_server, settings, monkeypatch):
    """The default storage is a fresh private bucket on the S3 server, for this process
    (settings) and for any worker process started after it (environment)."""
    bucket = f"qiuxue-{uuid.uuid4().hex[:12]}"
    client = s3_client(s3_server)
    client.create_bucket(Bucket=bucket)
    env = {
        "STORAGE_BUCKET": bucket,
        "STORAGE_URL": s3_server,
        "STORAGE_REGION": S3_REGION,
        "STORAGE_ACCESS_KEY_ID": S3_KEY,
        "STORAGE_SECRET_ACCESS_KEY": S3_SECRET,
        "STORAGE_ADDRESSING_STYLE": "path",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_server,
                "region_name": S3_REGION,
                "access_key": S3_KEY,
                "secret_key": S3_SECRET,
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "file_overwrite": False,
                "object_parameters": {"ServerSideEncryption": "AES256"},
            },
        },
    }
    client.bucket = bucket
    yield client


# --- Celery workers a test may kill --------------------------------------------------------


CELERY_WORKER = (sys.executable, "-m", "celery", "-A", "qiuxue", "worker", "-c", "1", "--pool", "solo", "-l", "WARNING")
CELERY_WORKER += ("--without-mingle", "--without-gossip")


class Workers:
    """Celery worker processes on one queue of their own, pointed at the test database."""

    def __init__(self, extra_env: dict[str, str]):
        db = settings.DATABASES["default"]
        self.database_url = (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        self.queue = f"qiuxue-test-{os.getpid()}-{time.monotonic_ns()}"
        self.extra_env = extra_env
        self.procs: list[subprocess.Popen] = []

    def start(self, *, wait: bool = True) -> subprocess.Popen:
        """``wait=False`` when a task is already queued: a solo worker busy with it does not
        answer pings, so the caller waits for the job's row instead."""
        from qiuxue.celery import app

        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            **self.extra_env,
        }
        name = f"w{len(self.procs)}-{self.queue}@127.0.0.1"
        proc = subprocess.Popen(
            [*CELERY_WORKER, "-Q", self.queue, "-n", name],
            cwd=ROOT,
            env=env,
        )
        self.procs.append(proc)
        if not wait:
            return proc
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("celery worker exited at start")
            if app.control.ping(destination=[name], timeout=1.0):
                return proc
        raise RuntimeError("celery worker did not answer")

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would: nothing runs after."""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            stop(proc)


@pytest.fixture
def celery_workers(django_db_blocker):
    """A factory of killable workers (``start()``, ``kill(proc)``); eager mode off meanwhile.
    Heartbeats every 0.5 s so a test can tell a live worker from a dead one quickly."""
    from qiuxue.celery import app

    workers = Workers({"JOB_HEARTBEAT_SECONDS": "0.5"})
    old = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = workers.queue
    try:
        yield workers
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = old
        workers.stop_all()


# --- nginx in front of gunicorn ------------------------------------------------------------


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
