"""Burst at window open: how many submissions per second the full stack takes.

gunicorn + PostgreSQL + Redis, configured as in production: ``DEBUG=0``, persistent
database connections, Celery *not* eager (pointed at a Redis queue of the bench's own: the
email/SMS copies wait in the notification outbox for the beat sweep; the queue holds the
risk-flag checks queued after each submit's commit, counted and dropped at the end),
sessions ``cached_db`` on Redis.

N workers with complete drafts and papers are made through the services; each gets a
logged-in session (created server-side, as a login would: no password hashing in the
timed part). Before the window opens every worker has the submit page open (one untimed
GET each, which also warms the session cache). Then a pool of client threads, each with its
own http.client connection, POSTs the submit endpoints, the two programmes' in alternating
chunks (``run``).

Reported: submissions/s over the burst, p50/p95/p99 latency, errors (anything but the
302 to the detail page, and any application not in review afterwards), queries per submit
(counted in-process on extra applications through the same view), the CPU each submit cost
gunicorn, PostgreSQL and the client (from /proc), the messages waiting in the outbox and the
jobs on the broker queue afterwards, gunicorn workers and class, the applications already in
the database, and the load average when the run started (the box may be shared).
"""

import http.client
import os
import runpy
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The production gunicorn.conf.py, unless a BENCH_GUNICORN_* variable overrides it.
_CONF = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", _CONF["workers"]))
GUNICORN_CLASS = os.environ.get("BENCH_GUNICORN_CLASS", _CONF["worker_class"])
GUNICORN_THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "1"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
COUNTED = 3  # extra applications submitted in-process to count the queries of one submit


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
    # 15 million distinct numbers (birth dates 1965-2006 x 1000 sequence numbers): earlier
    # runs share the database, and a small space once filled makes the set-up spin forever.
    day = date(1965, 1, 1) + timedelta(days=(n // 1000) % 15000)
    from applications.validators import id_check_char

    body = f"370102{day:%Y%m%d}{n % 1000:03d}"
    return body + id_check_char(body)


def _card(n: int) -> str:
    from applications.validators import luhn_check_digit

    body = f"622202{n:012d}"
    return body + luhn_check_digit(body)


def _setup(n: int, media_root: str, mode: str, slots: int) -> list[tuple[int, str]]:
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
        allocation_mode=mode,
    )
    Batch.objects.create(
        program=program,
        number=1,
        apply_opens=now - timedelta(hours=1),
        apply_closes=now + timedelta(days=1),
        review_opens=now,
        review_closes=now + timedelta(days=2),
    )
    FundingSource.objects.create(program=program, name="市总", payer_union=city, amount_yuan=1000, total_slots=slots)
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


def _redis_url() -> str:
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        raise RuntimeError("bench_submit needs Redis: set CELERY_BROKER_URL=redis://…")
    return url


def _start_gunicorn(port: int, media_root: str, queue: str) -> subprocess.Popen:
    redis_url = _redis_url()
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "600",
        # Production path: the after-commit email/SMS job is queued on Redis, not run inline.
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        # Shared cache on the same Redis: sessions become cached_db (settings), login throttle.
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": media_root,
        "LOG_LEVEL": "ERROR",
        # applications/seats.py appends the milliseconds each submit holds the seat counter
        # lock (lock granted -> commit) here; read back as seat_lock_ms.
        "QIUXUE_SEAT_LOCK_LOG": str(Path(media_root) / "seat_lock_ms.txt"),
    }
    log = open(Path(media_root) / "gunicorn.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "qiuxue.wsgi:application",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "-w",
            str(GUNICORN_WORKERS),
            "-k",
            GUNICORN_CLASS,
            "--threads",
            str(GUNICORN_THREADS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 90  # a shared, loaded machine can take a while
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not start")


class _Client:
    """One http.client connection per thread, reopened when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def request(self, method: str, path: str, session_key: str, body: str = "") -> tuple[int, float]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        csrf = "b" * 32  # an unmasked CSRF secret, as in the cookie
        headers = {"Cookie": f"sessionid={session_key}; csrftoken={csrf}", "X-CSRFToken": csrf}
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = body or f"csrfmiddlewaretoken={csrf}"
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            response.read()
        except OSError:
            conn.close()
            self.local.conn = None
            return 0, time.perf_counter() - started
        if response.getheader("Connection", "").lower() == "close":
            conn.close()  # sync workers close after each response; reconnect next time
            self.local.conn = None
        return response.status, time.perf_counter() - started


def _cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds (user + system) so far, by who spent them: the gunicorn processes, the
    PostgreSQL processes, this process (the client threads) and everything else. Linux /proc;
    read before and after the burst to see where the two cores went."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {"gunicorn": 0.0, "postgres": 0.0, "client": 0.0, "other": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # the process ended meanwhile
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        pid, ppid = int(entry), int(fields[1])
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if pid == os.getpid():
            out["client"] += seconds
        elif pid == server_pid or ppid == server_pid:
            out["gunicorn"] += seconds
        elif comm.startswith("postgres"):
            out["postgres"] += seconds
        else:
            out["other"] += seconds
    return out


def _queries_per_submit(targets: list[tuple[int, str]], queue: str) -> list[int]:
    """Submit a few applications in-process through the same view, counting every query
    (session, user, worker, the submit transaction and the after-commit work)."""
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qiuxue.celery import app

    old = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    counts = []
    try:
        client = Client()
        for app_id, session_key in targets:
            client.cookies[settings.SESSION_COOKIE_NAME] = session_key
            reset_queries()  # the set-up filled the (bounded) query log
            with CaptureQueriesContext(connection) as ctx:
                response = client.post(f"/applications/{app_id}/submit/")
            if response.status_code != 302 or not response["Location"].endswith(f"/applications/{app_id}/"):
                raise RuntimeError(f"in-process submit failed: {response.status_code}")
            counts.append(len(ctx.captured_queries))
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = old
    return counts


def _outbox_drain() -> dict:
    """Send what waits in the notification outbox, sweep after sweep as beat's task does
    (in-process, logging SMS backend, the bench's workers have no email address)."""
    import logging

    from applications.notifications import notification_deliver_pending

    sms_logger = logging.getLogger("qiuxue.sms")
    level, sms_logger.level = sms_logger.level, logging.WARNING  # 1000 lines of "SMS to …"
    sent, sweeps, started = 0, 0, time.perf_counter()
    try:
        while (done := notification_deliver_pending())["taken"]:
            sent, sweeps = sent + done["sms"] + done["emails"], sweeps + 1
    finally:
        sms_logger.level = level
    seconds = time.perf_counter() - started
    return {"sent": sent, "sweeps": sweeps, "seconds": round(seconds, 2), "per_s": round(sent / seconds) if sent else 0}


def _redis_cleanup(queue: str, session_keys: list[str]) -> int:
    """Drop anything queued on the bench's queue and the cached sessions; returns the jobs dropped."""
    import redis

    r = redis.Redis.from_url(_redis_url())
    queued = r.llen(queue)
    r.delete(queue)
    for i in range(0, len(session_keys), 500):
        r.delete(*(f":1:django.contrib.sessions.cached_db{k}" for k in session_keys[i : i + 500]))
    return queued


def _figures(*, n: int, results: list[tuple[int, float]], seconds: float, cpu: dict[str, float]) -> dict:
    statuses = Counter(status for status, _ in results)
    latencies = sorted(r[1] * 1000 for r in results)
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "submissions": n,
        "statuses": dict(statuses),
        "errors": n - statuses.get(302, 0),
        "submissions_per_s": round(n / seconds, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(quantiles[94], 1),
        "p99_ms": round(quantiles[98], 1),
        "max_ms": round(latencies[-1], 1),
        "cpu_ms_per_submit": {k: round(v * 1000 / n, 2) for k, v in cpu.items()},
    }


def _seats_figures(*, all_targets: list[tuple[int, str]], slots: int, media_root: str) -> dict:
    """The places must follow submission order exactly: ranks 1..k with no gap or double
    (all of the programme's applications: the in-process query count took places too)."""
    from applications.models import Application, SeatStatus

    rows = Application.objects.filter(pk__in=[t[0] for t in all_targets]).order_by("submitted_at", "pk")
    seats = list(rows.values_list("seat_status", "seat_rank"))
    placed = [r for st, r in seats if st == SeatStatus.PLACED]
    waiting = [r for st, r in seats if st == SeatStatus.WAITLISTED]
    figures = {
        "places": slots,
        "placed": len(placed),
        "waitlisted": len(waiting),
        "seat_ranks_in_submission_order": placed == list(range(1, len(placed) + 1))
        and waiting == list(range(1, len(waiting) + 1)),
    }
    held = Path(media_root) / "seat_lock_ms.txt"
    holds = sorted(float(x) for x in held.read_text().split()) if held.exists() else []
    if len(holds) >= 2:
        cuts = statistics.quantiles(holds, n=100)
        figures["seat_lock_ms"] = {
            "measured": len(holds),
            "p50": round(statistics.median(holds), 3),
            "p95": round(cuts[94], 3),
            "max": round(holds[-1], 3),
        }
    return figures


def _schedule(chunks: int) -> list[tuple[str, int]]:
    """(kind, chunk) in ABBA order: batch, at-submission, at-submission, batch, ..."""
    from quotas.models import AllocationMode

    pair = [AllocationMode.BATCH, AllocationMode.AT_SUBMISSION]
    return [(kind, i) for i in range(chunks) for kind in (pair if i % 2 == 0 else pair[::-1])]


def run(scale: float = 1.0) -> dict:
    """A batch programme (Jinan, Linyi: allocation after review) and an at-submission
    programme with half as many places as applicants (Xian'an: each submit takes a place from
    the programme's seat counter, the rest join the waitlist), n submissions each, against
    one gunicorn. Their bursts alternate in chunks of ``BENCH_SUBMIT_CHUNK`` (100), ABBA:
    this 2-core VM's speed drifts by a third within minutes (the same 1000-submission burst
    ran at 81-114/s in one run), so two bursts minutes apart compared the box, not the code.
    Interleaved, both kinds see the same box. The ratio is the at-submission programme's
    throughput over the batch programme's, each its submissions over the time of its chunks."""
    from applications.models import Application, ApplicationStatus, Notification
    from quotas.models import AllocationMode

    n = max(50, int(1000 * scale))
    chunk = int(os.environ.get("BENCH_SUBMIT_CHUNK", "100"))
    kinds = (AllocationMode.BATCH, AllocationMode.AT_SUBMISSION)
    slots = {AllocationMode.BATCH: n, AllocationMode.AT_SUBMISSION: n // 2}
    load_at_start = os.getloadavg()
    media_root = tempfile.mkdtemp(prefix="qx-bench-media-")
    queue = f"qiuxue-bench-submit-{os.getpid()}"
    t0 = time.perf_counter()
    all_targets = {kind: _setup(n + COUNTED, media_root, kind, slots[kind]) for kind in kinds}
    setup_s = time.perf_counter() - t0
    queries = {kind: max(_queries_per_submit(all_targets[kind][n:], queue)) for kind in kinds}
    _outbox_drain()  # earlier runs' messages: the timed drain below sends this run's only
    targets = {kind: all_targets[kind][:n] for kind in kinds}

    results: dict[str, list] = {kind: [] for kind in kinds}
    seconds = dict.fromkeys(kinds, 0.0)
    cpu = {kind: dict.fromkeys(("gunicorn", "postgres", "client", "other"), 0.0) for kind in kinds}
    per_chunk: dict[str, list[float]] = {kind: [] for kind in kinds}
    port = _free_port()
    server = _start_gunicorn(port, media_root, queue)
    client = _Client(port)
    try:
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            # Everyone has the submit page open when the window opens (untimed).
            everyone = targets[kinds[0]] + targets[kinds[1]]
            warm = Counter(
                s for s, _ in pool.map(lambda t: client.request("GET", f"/applications/{t[0]}/submit/", t[1]), everyone)
            )
            load_at_burst = os.getloadavg()
            for kind, i in _schedule(-(-n // chunk)):
                part = targets[kind][i * chunk : (i + 1) * chunk]
                before = _cpu_seconds(server.pid)
                started = time.perf_counter()
                done = list(pool.map(lambda t: client.request("POST", f"/applications/{t[0]}/submit/", t[1]), part))
                took = time.perf_counter() - started
                after = _cpu_seconds(server.pid)
                results[kind] += done
                seconds[kind] += took
                per_chunk[kind].append(len(part) / took)
                for who in after:
                    cpu[kind][who] += after[who] - before[who]
    finally:
        server.terminate()
        server.wait(timeout=15)
    queued = _redis_cleanup(queue, [k for kind in kinds for _, k in all_targets[kind]])
    ids = [t[0] for kind in kinds for t in targets[kind]]
    outbox = {"messages": Notification.objects.filter(application_id__in=ids, delivered_at__isnull=True).count()}
    outbox.update(_outbox_drain())

    figures = {}
    for kind in kinds:
        figures[kind] = _figures(n=n, results=results[kind], seconds=seconds[kind], cpu=cpu[kind])
        figures[kind]["queries_per_submit"] = queries[kind]
        figures[kind]["in_review_after"] = Application.objects.filter(
            pk__in=[t[0] for t in targets[kind]], status=ApplicationStatus.IN_REVIEW
        ).count()
    figures[AllocationMode.AT_SUBMISSION].update(
        _seats_figures(
            all_targets=all_targets[AllocationMode.AT_SUBMISSION],
            slots=slots[AllocationMode.AT_SUBMISSION],
            media_root=media_root,
        )
    )
    at, batch = (figures[kind]["submissions_per_s"] for kind in (AllocationMode.AT_SUBMISSION, AllocationMode.BATCH))
    pairs = [
        a / b for a, b in zip(per_chunk[AllocationMode.AT_SUBMISSION], per_chunk[AllocationMode.BATCH], strict=True)
    ]
    return {
        # The goal (issue 15): taking a seat at submission costs no more than 10% of throughput.
        "at_submission_throughput_ratio": round(at / batch, 2),
        # Each chunk of at-submission submits against the batch chunk beside it.
        "chunk_ratio_quartiles": [round(q, 2) for q in statistics.quantiles(pairs, n=4)] if len(pairs) > 1 else [],
        "submissions_per_kind": n,
        "chunk": chunk,
        "cpus": os.cpu_count(),
        "gunicorn": f"{GUNICORN_WORKERS} x {GUNICORN_CLASS}"
        + (f" ({GUNICORN_THREADS} threads)" if GUNICORN_THREADS > 1 else ""),
        "client_concurrency": CONCURRENCY,
        "load_average_at_start": " / ".join(f"{x:.2f}" for x in load_at_start),
        "load_average_at_burst": " / ".join(f"{x:.2f}" for x in load_at_burst),
        "warmup_statuses": dict(warm),
        "messages_in_outbox": outbox["messages"],
        "outbox_sweep": outbox,
        "broker_jobs_queued": queued,
        "applications_in_database": Application.objects.count(),
        "setup_s": round(setup_s, 1),
        "batch": figures[AllocationMode.BATCH],
        "at_submission": figures[AllocationMode.AT_SUBMISSION],
    }
