"""Jobs that survive a dead worker (issue 14): a real Celery worker killed with SIGKILL in
the middle of a payout export and of an allocation run; beat's watchdog fails the job with
a Chinese message once its heartbeat stops (not while the worker lives), the page offers
to run it again, and the rerun gives the result one clean run gives."""

import time
from datetime import timedelta

import psycopg2
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from payouts.allocation.services import allocation_run_start
from payouts.models import AllocationRun, Award, PayoutExport, PayoutList, PayoutListStatus, ReportExport, ReportKind
from payouts.payout.services import payout_list_build, payout_list_export_request
from payouts.reports.services import report_export_build
from quotas.audit import AuditAction
from quotas.jobs import JobStatus, job_claim, jobs_stale_fail
from quotas.models import AuditLog

from ..allocation.test_scenarios import Jinan
from ..dashboard.factories import admin_make, city_make, seed
from .conftest import publish_and_end
from .xlsx_read import data_rows, read_sheet

STALE = 3  # seconds without a heartbeat before the watchdog calls a job dead (test value)


@pytest.fixture
def row_locks():
    """Other sessions holding row locks, as a long bank-return import would; always released
    (a lock left behind would block the database flush after the test)."""
    held = []

    def take(table: str, pk: int):
        conn = _row_lock(table, pk)
        held.append(conn)
        return conn

    yield take
    for conn in held:
        if not conn.closed:
            conn.rollback()
            conn.close()


def _row_lock(table: str, pk: int):
    db = settings.DATABASES["default"]
    conn = psycopg2.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or "postgres", dbname=db["NAME"]
    )
    cur = conn.cursor()
    cur.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [pk])
    return conn


def _wait(predicate, seconds: float = 60, what: str = ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _alive_then_killed(workers, worker, job, settings) -> None:
    """While the worker lives (blocked, but beating), the watchdog leaves the job alone;
    once it is killed, the heartbeat stops and the next tick fails the job."""
    settings.JOB_STALE_AFTER_SECONDS = STALE
    time.sleep(STALE + 1.5)
    assert jobs_stale_fail() == []
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    workers.kill(worker)
    time.sleep(STALE + 1.5)
    assert jobs_stale_fail() == [(job._meta.label_lower, job.pk)]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "后台处理进程已中断" in job.message and "重新运行" in job.message
    assert jobs_stale_fail() == []  # the next tick finds nothing
    audit = AuditLog.objects.get(action=AuditAction.JOB_STALE_FAIL, object_id=str(job.pk))
    assert audit.detail["reason"] == "heartbeat"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_export_killed_mid_way_is_failed_then_exported_again(
    scenario, city_finance, celery_workers, row_locks, client, settings
):
    publish_and_end(scenario, city_finance)
    pl = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    client.force_login(city_finance)
    client.post(reverse("payouts:payout_export_start", args=[pl.pk]))
    job = PayoutExport.objects.get(payout_list=pl)
    # The worker writes the whole file, then waits for the list's row at its last step.
    lock = row_locks(PayoutList._meta.db_table, pl.pk)
    worker = celery_workers.start(wait=False)
    _wait(lambda: PayoutExport.objects.filter(pk=job.pk, status=JobStatus.RUNNING).exists(), what="running")
    _alive_then_killed(celery_workers, worker, job, settings)
    lock.rollback()
    lock.close()

    pl.refresh_from_db()
    assert not pl.file and pl.status == PayoutListStatus.DRAFT  # nothing recorded by the dead worker
    status = client.get(reverse("payouts:payout_export_status", args=[pl.pk])).json()
    assert status["status"] == "failed" and "后台处理进程已中断" in status["message"] and not status["download_url"]
    page = client.get(reverse("admin:payouts_payoutlist_change", args=[pl.pk])).content.decode()
    assert "重新导出" in page

    celery_workers.start()
    client.post(reverse("payouts:payout_export_start", args=[pl.pk]))
    rerun = PayoutExport.objects.exclude(pk=job.pk).get(payout_list=pl)
    _wait(
        lambda: PayoutExport.objects.filter(pk=rerun.pk, status__in=[JobStatus.DONE, JobStatus.FAILED]).exists(),
        what="rerun",
    )
    rerun.refresh_from_db()
    assert rerun.status == JobStatus.DONE, rerun.message
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    download = client.get(reverse("payouts:payout_download", args=[pl.pk]))
    rows = data_rows(read_sheet(b"".join(download.streaming_content)))
    assert len(rows) == pl.row_count == len(scenario.applications)
    assert AuditLog.objects.filter(action=AuditAction.PAYOUT_LIST_EXPORT, object_id=str(pl.pk)).count() == 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_allocation_killed_mid_run_writes_nothing_and_runs_again(celery_workers, row_locks, client, settings):
    j = Jinan()
    j.apply(j.lixia_firm, [1, 2, 3], j.b1)
    run = allocation_run_start(program=j.prog, batch=None, actor=j.staff)
    # The worker has claimed the run and opened its transaction, and waits for the
    # programme's row (another allocation, a withdrawal hold it at times).
    lock = row_locks(j.prog._meta.db_table, j.prog.pk)
    worker = celery_workers.start(wait=False)
    _wait(lambda: AllocationRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).exists(), what="running")
    _alive_then_killed(celery_workers, worker, run, settings)
    lock.rollback()
    lock.close()
    assert not Award.objects.filter(run=run).exists()

    client.force_login(j.staff)
    page = client.get(reverse("payouts:allocation_run", args=[run.pk])).content.decode()
    assert "重新运行" in page and "后台处理进程已中断" in page
    celery_workers.start()
    response = client.post(reverse("payouts:allocation_program", args=[j.prog.slug]), {"batch": ""})
    assert response.status_code == 302
    again = AllocationRun.objects.exclude(pk=run.pk).get(program=j.prog)
    _wait(
        lambda: AllocationRun.objects.filter(pk=again.pk, status__in=[JobStatus.DONE, JobStatus.FAILED]).exists(),
        what="rerun",
    )
    again.refresh_from_db()
    assert again.status == JobStatus.DONE, again.message
    assert again.requested_by == j.staff
    assert Award.objects.filter(source=j.city_money, run=again).count() == 3
    assert [s["created"] for s in again.result["sources"]] == [3, 2, 3]


# --- the claim and the watchdog without a worker ---------------------------------------------


@pytest.mark.django_db
def test_a_message_delivered_twice_builds_once_and_a_dead_runner_is_taken_over(settings):

    c = seed(city_make())
    admin = admin_make(c.city)
    export = ReportExport.objects.create(
        kind=ReportKind.PROGRAM_SUMMARY, program=c.program, scope=c.city, requested_by=admin
    )
    # Someone else is running it and beating: a second delivery leaves it alone.
    assert job_claim(model=ReportExport, pk=export.pk)
    assert not job_claim(model=ReportExport, pk=export.pk)
    assert report_export_build(export_id=export.pk).status == JobStatus.RUNNING
    # Its runner died long ago: the redelivered message takes it over and finishes it.
    ReportExport.objects.filter(pk=export.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    done = report_export_build(export_id=export.pk)
    assert done.status == JobStatus.DONE and done.file
    # A finished job is not redone by a late duplicate.
    assert not job_claim(model=ReportExport, pk=export.pk)


@pytest.mark.django_db
def test_watchdog_fails_stale_running_and_lost_queued_jobs_only(settings, scenario, city_finance):
    now = timezone.now()
    pl = PayoutList.objects.create(
        program=scenario.program, source=scenario.city_money, payer_name="x", title="t", row_count=0
    )
    dead = PayoutExport.objects.create(
        payout_list=pl, status=JobStatus.RUNNING, heartbeat_at=now - timedelta(minutes=10)
    )
    pl2 = PayoutList.objects.create(
        program=scenario.program, source=scenario.city_money, payer_name="y", title="t2", row_count=0
    )
    alive = PayoutExport.objects.create(payout_list=pl2, status=JobStatus.RUNNING, heartbeat_at=now)
    lost = AllocationRun.objects.create(program=scenario.program, status=JobStatus.QUEUED)
    AllocationRun.objects.filter(pk=lost.pk).update(created_at=now - timedelta(hours=7))
    waiting = AllocationRun.objects.create(program=scenario.program, status=JobStatus.QUEUED)
    marked = jobs_stale_fail(now=now)
    assert sorted(marked) == sorted([("payouts.payoutexport", dead.pk), ("payouts.allocationrun", lost.pk)])
    for job, status in ((dead, "failed"), (alive, "running"), (lost, "failed"), (waiting, "queued")):
        job.refresh_from_db()
        assert job.status == status, job
    assert "排队超过" in lost.message
    assert jobs_stale_fail(now=now) == []


@pytest.mark.django_db
def test_asking_again_for_a_stuck_export_fails_it_and_queues_a_new_one(
    scenario, city_finance, django_capture_on_commit_callbacks
):
    publish_and_end(scenario, city_finance)
    pl = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    stuck = PayoutExport.objects.create(
        payout_list=pl, status=JobStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        payout_list_export_request(payout_list=pl, actor=city_finance)  # eager: runs at once
    stuck.refresh_from_db()
    assert stuck.status == JobStatus.FAILED
    latest = PayoutExport.objects.filter(payout_list=pl).exclude(pk=stuck.pk).get()
    assert latest.status == JobStatus.DONE and latest.requested_by == city_finance
    pl.refresh_from_db()
    assert pl.file and pl.export_status == "done"


def test_celery_keeps_late_acks_and_has_a_visibility_timeout_and_a_watchdog():
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert 30 * 60 <= timeout <= 12 * 3600
    tick = settings.CELERY_BEAT_SCHEDULE["job-watchdog-every-minute"]
    assert tick["task"] == "quotas.tasks.job_watchdog"
    assert settings.JOB_STALE_AFTER_SECONDS > 3 * settings.JOB_HEARTBEAT_SECONDS
