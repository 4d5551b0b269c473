"""Report building in the background; the ReportExport row carries the progress."""

from celery import shared_task


@shared_task(name="payouts.tasks.report_export_build", acks_late=True)
def report_export_build_task(export_id: int) -> int:
    from payouts.reports.services import report_export_build

    return report_export_build(export_id=export_id).progress
