"""Beat tasks (see ``CELERY_BEAT_SCHEDULE``): thin, idempotent, ``now`` taken at run time."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="payouts.tasks.scheduler_tick", acks_late=True, ignore_result=True)
def scheduler_tick() -> dict:
    from payouts.schedule.services import scheduler_tick as tick

    return tick(now=timezone.now())


@shared_task(name="payouts.tasks.review_digest_send", acks_late=True, ignore_result=True)
def review_digest_send() -> int:
    from payouts.schedule.services import review_digest_send as send

    return send(now=timezone.now())


@shared_task(name="payouts.tasks.dashboard_snapshots_refresh", acks_late=True, ignore_result=True, expires=60)
def dashboard_snapshots_refresh() -> int:
    from payouts.dashboard.snapshots import dashboard_snapshots_refresh as refresh

    return refresh()
