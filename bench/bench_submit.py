"""Burst at window open: how many submissions per second the full stack takes.

gunicorn (several sync workers) + PostgreSQL. N workers with complete drafts and papers are
made through the services; each gets a logged-in session (created server-side, as a login
would). Then a pool of threads, each with its own http.client connection, POSTs every submit
endpoint at once. Reported: submissions/s over the burst and p50/p95/p99 latency.
"""

import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (120, 80), (180, 20, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _id_number(n: int) -> str:
    body = f"370102{date(1988, 1, 1) + timedelta(days=n % 3000):%Y%m%d}{n % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _card(n: int) -> str:
    body = f"622202{n:012d}"
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _setup(n: int, media_root: str) -> list[tuple[int, str]]:
    """Programme, unions, n workers with ready drafts; returns (application id, session key)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from applications.services import (
        ApplicationData,
        ProfileData,
        application_create_draft,
        attachment_upload,
        worker_profile_save,
    )
    from quotas.models import Batch, DocumentKind, EducationLevel, FundingSource, Program, UnionLevel
    from quotas.services import union_create

    settings.MEDIA_ROOT = media_root
    tag = secrets.token_hex(3)
    city = union_create(name=f"压测市总工会{tag}", code=f"b{tag}-c", level=UnionLevel.CITY)
    county = union_create(name="压测区总工会", code=f"b{tag}-k", level=UnionLevel.COUNTY, parent=city)
    shops = [
        union_create(name=f"压测企业{i}工会", code=f"b{tag}-g{i}", level=UnionLevel.GRASSROOTS, parent=county)
        for i in range(10)
    ]
    now = timezone.now()
    program = Program.objects.create(
        owner_union=city,
        year=now.year,
        name=f"压测方案{tag}",
        slug=f"bench-{tag}",
        eligible_levels=[EducationLevel.DAZHUAN],
        required_documents=[DocumentKind.APPLICATION_FORM, DocumentKind.CHSI_REPORT],
        review_tiers=["grassroots", "county", "city"],
    )
    Batch.objects.create(
        program=program,
        number=1,
        apply_opens=now - timedelta(hours=1),
        apply_closes=now + timedelta(days=1),
        review_opens=now,
        review_closes=now + timedelta(days=2),
    )
    FundingSource.objects.create(program=program, name="市总", payer_union=city, amount_yuan=1000, total_slots=n)
    jpeg = _jpeg()
    today = timezone.localdate()
    data = ApplicationData(
        level=EducationLevel.DAZHUAN,
        school="山东开放大学",
        major="机电一体化技术",
        enrolled_on=date(today.year, 3, 1),
        chsi_code="BENCH000000",
        chsi_expires_on=today + timedelta(days=300),
    )
    User = get_user_model()
    base = int(tag, 16) * 10000 % 10**8
    out = []
    from applications.models import Worker
    from qiuxue.crypto import hmac_index

    k = base
    for i in range(n):
        # Earlier runs (and other benchmarks) share this database: skip numbers already taken.
        while (
            User.objects.filter(username=f"13{k % 10**9:09d}").exists()
            or Worker.objects.filter(id_number_hmac=hmac_index(_id_number(k))).exists()
        ):
            k += 1
        # No password: the session is made directly below, so no PBKDF2 per account.
        user = User.objects.create_user(username=f"13{k % 10**9:09d}", password=None)
        worker = worker_profile_save(
            user=user,
            data=ProfileData(
                name="压测职工",
                employer="压测公司",
                union=shops[i % len(shops)],
                bank_name="工商银行",
                id_number=_id_number(k),
                bank_card=_card(k),
                is_frontline=True,
            ),
        )
        app = application_create_draft(worker=worker, program=program, data=data, actor=user)
        for kind in program.required_documents:
            attachment_upload(application=app, kind=kind, uploaded_file=SimpleUploadedFile("a.jpg", jpeg), actor=user)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        out.append((app.pk, session.session_key))
        k += 1
    return out


def _start_gunicorn(port: int, media_root: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "60",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "MEDIA_ROOT": media_root,
        "LOG_LEVEL": "ERROR",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "qiuxue.wsgi:application",
            "-w",
            str(GUNICORN_WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                # Touch every worker once so imports and DB connections are warm.
                for _ in range(GUNICORN_WORKERS * 4):
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", "/login/")
                    conn.getresponse().read()
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not start")


def run(scale: float = 1.0) -> dict:
    from applications.models import Application, ApplicationStatus

    n = max(50, int(1000 * scale))
    media_root = tempfile.mkdtemp(prefix="qx-bench-media-")
    t0 = time.perf_counter()
    targets = _setup(n, media_root)
    setup_s = time.perf_counter() - t0
    port = _free_port()
    server = _start_gunicorn(port, media_root)
    csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret, as in the cookie
    body = f"csrfmiddlewaretoken={csrf}"

    import threading

    local = threading.local()

    def submit(target: tuple[int, str]) -> tuple[int, float]:
        app_id, session_key = target
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        started = time.perf_counter()
        conn.request(
            "POST",
            f"/applications/{app_id}/submit/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={session_key}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
            },
        )
        response = conn.getresponse()
        response.read()
        if response.getheader("Connection", "").lower() == "close":
            conn.close()  # sync workers close after each response; reconnect next time
        return response.status, time.perf_counter() - started

    try:
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            burst_start = time.perf_counter()
            results = list(pool.map(submit, targets))
            burst_s = time.perf_counter() - burst_start
    finally:
        server.terminate()
        server.wait(timeout=15)
    latencies = sorted(r[1] * 1000 for r in results)
    ok = sum(1 for status, _ in results if status == 302)
    submitted = Application.objects.filter(pk__in=[t[0] for t in targets], status=ApplicationStatus.IN_REVIEW).count()
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "submissions": n,
        "gunicorn_workers": GUNICORN_WORKERS,
        "client_concurrency": CONCURRENCY,
        "http_302": ok,
        "in_review_after": submitted,
        "submissions_per_s": round(n / burst_s, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(quantiles[94], 1),
        "p99_ms": round(quantiles[98], 1),
        "setup_s": round(setup_s, 1),
    }
