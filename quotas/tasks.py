"""Celery tasks of the quotas app: the watchdog of background jobs (beat, every minute)."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="quotas.tasks.job_watchdog", acks_late=True, ignore_result=True)
def job_watchdog() -> int:
    """Fail the jobs whose worker died (see quotas.jobs) and note that beat is alive."""
    from .jobs import beat_seen_record, jobs_stale_fail

    now = timezone.now()
    beat_seen_record(now=now)
    return len(jobs_stale_fail(now=now))
