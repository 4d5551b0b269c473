"""Payout list export, in the worker: ids in, one service call. A retry rewrites the file
from the same frozen lines, so it gives the same result."""

from celery import shared_task

from ..payout.export import payout_list_export


@shared_task(name="payouts.tasks.payout.payout_list_export_task", acks_late=True)
def payout_list_export_task(payout_list_id: int, actor_id: int | None, export_id: int | None = None) -> dict:
    payout_list = payout_list_export(payout_list_id=payout_list_id, actor_id=actor_id, export_id=export_id)
    return {"id": payout_list.pk, "rows": payout_list.row_count, "file": payout_list.file.name}
