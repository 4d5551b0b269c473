"""Background jobs that survive a dead worker: one abstract model, one way to write progress.

Allocation runs, payout exports and report exports are Celery tasks whose row is the
progress bar the page polls. A Celery worker killed with SIGKILL (or a machine that
disappears) used to leave that row "running" for ever. Now:

- every job row has ``heartbeat_at``, written every ``JOB_HEARTBEAT_SECONDS`` by a small
  thread of the process doing the work (through its own autocommit connection, so it lands
  while the job's own transaction is still open) and with every progress write;
- beat's ``quotas.tasks.job_watchdog`` marks a running job whose heartbeat is older than
  ``JOB_STALE_AFTER_SECONDS`` failed, with a Chinese message that says what happened and
  what to do, and audits it; the page then offers to run it again;
- a task claims its job with one conditional UPDATE (queued, or running with a stale
  heartbeat), so a message the broker hands out again after its visibility timeout, or a
  second worker, never runs a job twice at once, and a job already done or failed is left
  alone (the rerun is a new request: the work itself is idempotent).

quotas is the lowest app, so the abstract model and the watchdog live here and find the
concrete job models (in payouts) through the app registry, never by import.
"""

import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import connection, connections, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)


class JobStatus(models.TextChoices):
    QUEUED = "queued", gettext_lazy("排队中")
    RUNNING = "running", gettext_lazy("进行中")
    DONE = "done", gettext_lazy("已完成")
    FAILED = "failed", gettext_lazy("失败")


JOB_ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(models.Model):
    """Status, progress, message, started, heartbeat, finished, who asked."""

    status = models.CharField(gettext_lazy("状态"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(gettext_lazy("进度%"), default=0)
    message = models.TextField(gettext_lazy("说明"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("发起人"),
    )
    started_at = models.DateTimeField(gettext_lazy("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(gettext_lazy("最近心跳"), null=True, blank=True)
    finished_at = models.DateTimeField(gettext_lazy("结束时间"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.status in JOB_ACTIVE

    def is_stale(self, *, now: datetime | None = None) -> bool:
        """Running, but nobody has beaten its heart for longer than the limit."""
        now = now or timezone.now()
        return self.status == JobStatus.RUNNING and (
            self.heartbeat_at is None or self.heartbeat_at < now - stale_after()
        )


def heartbeat_every() -> float:
    return float(getattr(settings, "JOB_HEARTBEAT_SECONDS", 15))


def stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "JOB_STALE_AFTER_SECONDS", 120))


def queued_limit() -> timedelta:
    return timedelta(seconds=getattr(settings, "JOB_QUEUED_LIMIT_SECONDS", 6 * 3600))


def job_models() -> list[type[Job]]:
    return [m for m in apps.get_models() if issubclass(m, Job)]


# --- the worker's side ---------------------------------------------------------------


def job_claim(*, model: type[Job], pk: int, progress: int = 5, message: str = "") -> bool:
    """Take the job for this process: True when this caller is now the one running it.

    One conditional UPDATE (queued, or running with a stale heartbeat): two deliveries of
    the same message cannot both win, and a job already done or failed is not redone."""
    now = timezone.now()
    claimable = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, heartbeat_at__lt=now - stale_after())
    claimable |= Q(status=JobStatus.RUNNING, heartbeat_at__isnull=True)
    return bool(
        model.objects.filter(claimable, pk=pk).update(
            status=JobStatus.RUNNING,
            progress=progress,
            message=message,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
        )
    )


class JobReporter:
    """Progress and heartbeat of one job, written through a second connection in
    autocommit (PostgreSQL), so the page sees them while the job's transaction is open.
    SQLite has one writer at a time and the demo runs tasks inline: there it writes
    through the ordinary connection, outside any transaction only."""

    def __init__(self, *, model: type[Job], pk: int):
        self.table = model._meta.db_table
        self.pk = pk
        self.own = connection.vendor == "postgresql"
        self.conn = connections.create_connection("default") if self.own else None
        if self.conn is not None:
            # Shared by the job's thread and its heartbeat thread, one at a time (the lock).
            self.conn.inc_thread_sharing()
        self.lock = threading.Lock()

    def _write(self, sql: str, params: list) -> None:
        with self.lock:
            if self.conn is not None:
                with self.conn.cursor() as cur:
                    cur.execute(sql, params)
            elif not connection.in_atomic_block:
                with connection.cursor() as cur:
                    cur.execute(sql, params)

    def __call__(self, progress: int, message: str | None = None) -> None:
        """Write progress (capped at 99: only the finishing step says 100) and beat."""
        progress = max(0, min(int(progress), 99))
        if message is None:
            sql = f"UPDATE {self.table} SET progress = %s, heartbeat_at = %s WHERE id = %s"  # noqa: S608
            self._write(sql, [progress, timezone.now(), self.pk])
        else:
            sql = f"UPDATE {self.table} SET progress = %s, message = %s, heartbeat_at = %s WHERE id = %s"  # noqa: S608
            self._write(sql, [progress, message, timezone.now(), self.pk])

    def beat(self) -> None:
        self._write(f"UPDATE {self.table} SET heartbeat_at = %s WHERE id = %s", [timezone.now(), self.pk])  # noqa: S608

    def close(self) -> None:
        with self.lock:
            if self.conn is not None:
                self.conn.close()
                self.conn.dec_thread_sharing()
                self.conn = None


@contextmanager
def job_heartbeat(*, model: type[Job], pk: int):
    """Beat the job's heart from a thread while the body runs; yields the progress writer.

    The thread dies with the process, which is the point: a killed worker stops beating
    and the watchdog notices."""
    reporter = JobReporter(model=model, pk=pk)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(heartbeat_every()):
            try:
                reporter.beat()
            except Exception:  # a missed beat is retried at the next one
                logger.warning("heartbeat of %s %s failed", reporter.table, pk, exc_info=True)

    thread = threading.Thread(target=loop, name=f"heartbeat-{reporter.table}-{pk}", daemon=True)
    if reporter.own:
        thread.start()
    try:
        yield reporter
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(timeout=5)
        reporter.close()


def job_fail(*, model: type[Job], pk: int, message: str) -> None:
    """The worker's own failure (an exception it caught): status and message, no audit
    (the task's exception is logged; the request was audited when it was made)."""
    model.objects.filter(pk=pk).update(
        status=JobStatus.FAILED, message=message[:500], finished_at=timezone.now(), heartbeat_at=timezone.now()
    )


# --- beat's side: the watchdog -------------------------------------------------------


def job_stale_message(*, now: datetime) -> str:
    minutes = max(1, int(stale_after().total_seconds() // 60))
    return _(
        "后台处理进程已中断（超过%(m)d分钟没有进度，%(t)s判定失败），未完成的部分没有写入。请点击「重新运行」再次执行，结果与一次运行相同。"
    ) % {"m": minutes, "t": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")}


def job_lost_message() -> str:
    hours = max(1, int(queued_limit().total_seconds() // 3600))
    return _("任务排队超过%(h)d小时仍未开始（后台任务可能已丢失），请点击「重新运行」。") % {"h": hours}


def jobs_stale_fail(*, now: datetime | None = None) -> list[tuple[str, int]]:
    """Mark failed every running job whose heartbeat is too old, and every queued job that
    never started within the queue limit; each marked in its own transaction with its
    audit row. Idempotent: a second tick finds nothing. Returns (model label, pk) pairs."""
    from .audit import AuditAction
    from .services import audit_log_write

    now = now or timezone.now()
    marked: list[tuple[str, int]] = []
    for model in job_models():
        stale = Q(status=JobStatus.RUNNING) & (Q(heartbeat_at__lt=now - stale_after()) | Q(heartbeat_at__isnull=True))
        lost = Q(status=JobStatus.QUEUED, **{f"{_created_field(model)}__lt": now - queued_limit()})
        for pk in model.objects.filter(stale | lost).values_list("pk", flat=True):
            with transaction.atomic():
                job = model.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
                if job is None:
                    continue
                if job.status == JobStatus.RUNNING and job.is_stale(now=now):
                    message, reason = job_stale_message(now=now), "heartbeat"
                elif job.status == JobStatus.QUEUED:
                    message, reason = job_lost_message(), "never_started"
                else:
                    continue  # it beat or finished since the first read
                model.objects.filter(pk=pk).update(status=JobStatus.FAILED, message=message, finished_at=now)
                audit_log_write(
                    actor=None,
                    action=AuditAction.JOB_STALE_FAIL,
                    obj=job,
                    detail={
                        "job": model._meta.label_lower,
                        "reason": reason,
                        "heartbeat_at": job.heartbeat_at.isoformat() if job.heartbeat_at else None,
                        "progress": job.progress,
                    },
                )
            marked.append((model._meta.label_lower, pk))
    return marked


def _created_field(model: type[Job]) -> str:
    return "created_at" if any(f.name == "created_at" for f in model._meta.fields) else "started_at"


# --- beat last seen (for /healthz/) --------------------------------------------------

BEAT_SEEN_KEY = "qiuxue:beat:last_seen"


def beat_seen_record(*, now: datetime | None = None) -> None:
    """The watchdog runs every minute from beat: its last run is when beat was last seen."""
    from django.core.cache import cache

    cache.set(BEAT_SEEN_KEY, (now or timezone.now()).timestamp(), timeout=24 * 3600)


def beat_seen_at() -> datetime | None:
    from django.core.cache import cache

    value = cache.get(BEAT_SEEN_KEY)
    return datetime.fromtimestamp(value, tz=UTC) if value else None


ProgressFn = Callable[[int, str | None], None]
