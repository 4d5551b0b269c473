"""Celery tasks of the reviews app: thin wrappers, idempotent on retry."""

from celery import shared_task


@shared_task(name="reviews.tasks.flag_checks_run", acks_late=True, ignore_result=True)
def flag_checks_run_task(application_ids: list[int]) -> None:
    """The risk flags of these applications, computed once and stored (``flag_checks``)."""
    from .flag_checks import flag_checks_run

    flag_checks_run(application_ids=application_ids)


@shared_task(name="reviews.tasks.flag_checks_sweep", acks_late=True, ignore_result=True)
def flag_checks_sweep_task() -> int:
    """Beat: checks left 核对中 (a lost task, or submitted before the checks were stored)
    are run again; a full batch means more wait, so the next sweep is queued at once."""
    from .flag_checks import SWEEP_BATCH, flag_checks_sweep

    done = flag_checks_sweep()
    if done == SWEEP_BATCH:
        flag_checks_sweep_task.delay()
    return done
