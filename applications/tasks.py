"""Celery tasks of the applications app: thin wrappers, ids in, idempotent on retry."""

from celery import shared_task


@shared_task(
    name="applications.tasks.notification_deliver",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    max_retries=5,
)
def notification_deliver_task(notification_id: int) -> dict:
    from .notifications import notification_deliver

    return notification_deliver(notification_id=notification_id)
