"""Allocation runs started from the admin page: the worker's side, one service call."""

from celery import shared_task

from ..allocation.services import allocation_run_execute
from ..models import AllocationRun


@shared_task(name="payouts.tasks.allocation_run_task", acks_late=True)
def allocation_run_task(run_id: int) -> str:
    run = AllocationRun.objects.select_related("program", "batch", "requested_by").get(pk=run_id)
    return allocation_run_execute(run=run).status
