"""Celery tasks of the applications app: thin wrappers, idempotent on retry."""

from celery import shared_task


@shared_task(name="applications.tasks.notification_deliver_pending")
def notification_deliver_pending_task() -> dict:
    """Beat runs it every few seconds. A full batch means a backlog (a burst at window
    open): the next sweep is queued at once instead of waiting for beat, and any idle
    worker takes it (the lease keeps concurrent sweeps on different rows)."""
    from .notifications import DELIVERY_BATCH, notification_deliver_pending

    done = notification_deliver_pending()
    if done["taken"] == DELIVERY_BATCH:
        notification_deliver_pending_task.delay()
    return done


@shared_task(name="applications.tasks.stage_deadlines_sweep", acks_late=True, ignore_result=True)
def stage_deadlines_sweep() -> dict:
    """Programmes in stages: remind before a later stage's deadline, and pass the place of
    anyone past it to the waitlist (``stages``). Idempotent: a second tick finds nothing."""
    from django.utils import timezone

    from .stages import application_stage_lapse_due, application_stage_reminders_send

    now = timezone.now()
    return {
        "reminded": application_stage_reminders_send(now=now),
        "lapsed": application_stage_lapse_due(now=now),
    }


@shared_task(name="applications.tasks.seats_release_reserved")
def seats_release_reserved_task() -> int:
    """Beat: unused reserved places go to the waitlist once the stage-1 window closes."""
    from .seats import seats_release_reserved_due

    return seats_release_reserved_due()


@shared_task(name="applications.tasks.report_reading_run", acks_late=True, ignore_result=True)
def report_reading_run_task(attachment_id: int) -> None:
    """Read an uploaded 学信网 report once (``report_readings``); pages read the stored row."""
    from .report_readings import report_reading_run

    report_reading_run(attachment_id=attachment_id)
