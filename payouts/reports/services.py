"""Report exports: asked for on the dashboard, built by a Celery task, downloaded through
an audited, scoped view. Files live in the private default storage (local
MEDIA_ROOT or the S3 bucket) and are never routed."""

import io
import logging

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from payouts.dashboard.selectors import dashboard_stats
from payouts.models import ReportExport, ReportKind
from qiuxue.files import private_file_response
from quotas.jobs import job_claim, job_fail, job_heartbeat
from quotas.models import Batch, Program
from quotas.selectors import union_scope_of
from quotas.services import audit_log_write

from .workbooks import follow_up_workbook, program_summary_workbook, unit_table_workbook

logger = logging.getLogger(__name__)


class ReportError(Exception):
    pass


def report_export_request(
    *, user: AbstractBaseUser, program: Program, kind: str, batch: Batch | None = None
) -> ReportExport:
    scope = union_scope_of(user)
    if scope is None:
        raise ReportError(_("您不是工会管理员，不能生成报表。"))
    if kind not in ReportKind.values:
        raise ReportError(_("未知的报表类型。"))
    if batch is not None and batch.program_id != program.pk:
        raise ReportError(_("所选批次不属于该方案。"))
    with transaction.atomic():
        export = ReportExport.objects.create(kind=kind, program=program, batch=batch, scope=scope, requested_by=user)
        audit_log_write(actor=user, action="report.request", obj=export, detail={"kind": kind})
        transaction.on_commit(lambda: _enqueue(export.pk))
    return export


def _enqueue(export_id: int) -> None:
    from payouts.tasks.reports import report_export_build_task

    report_export_build_task.delay(export_id)


def report_export_build(*, export_id: int) -> ReportExport:
    """Build the file. Idempotent: the export is claimed first (quotas.jobs.job_claim), so a
    finished one is left alone on a retry and a redelivered message does not run it twice."""
    claimed = job_claim(model=ReportExport, pk=export_id)
    export = ReportExport.objects.select_related("program__owner_union", "batch", "scope").get(pk=export_id)
    if not claimed:
        return export
    with job_heartbeat(model=ReportExport, pk=export_id) as report:

        def progress(percent: int) -> None:
            report(percent)

        try:
            if export.kind == ReportKind.UNIT_TABLE:
                stats = dashboard_stats(program=export.program, scope=export.scope, batch=export.batch)
                progress(30)
                wb = unit_table_workbook(stats=stats, progress=progress)
            elif export.kind == ReportKind.PROGRAM_SUMMARY:
                wb = program_summary_workbook(program=export.program, scope=export.scope, progress=progress)
            else:
                wb = follow_up_workbook(program=export.program, scope=export.scope, progress=progress)
            buffer = io.BytesIO()
            wb.save(buffer)
            progress(95)
            name = f"{export.kind}-{export.program.slug}-{export.pk}.xlsx"
            with transaction.atomic():
                export.file.save(name, ContentFile(buffer.getvalue()), save=False)
                export.status = ReportExport.Status.DONE
                export.progress = 100
                export.finished_at = export.heartbeat_at = timezone.now()
                export.save(update_fields=["file", "status", "progress", "finished_at", "heartbeat_at"])
        except Exception as exc:
            logger.exception("report export %s failed", export_id)
            job_fail(model=ReportExport, pk=export_id, message=str(exc)[:300])
            raise
    return export


def report_export_rerun(*, export: ReportExport, user: AbstractBaseUser) -> ReportExport:
    """Ask again for a report whose job failed (a dead worker, an error): a new request of
    the same kind, programme and batch, in the asker's scope as it is now."""
    if export.status != ReportExport.Status.FAILED:
        raise ReportError(_("只有失败的报表可以重新生成。"))
    return report_export_request(user=user, program=export.program, kind=export.kind, batch=export.batch)


def report_export_download(*, export: ReportExport, user: AbstractBaseUser) -> FileResponse:
    """Hand the file out and record who took it. The caller has checked the scope."""
    if export.status != ReportExport.Status.DONE or not export.file:
        raise ReportError(_("报表尚未生成完成。"))
    with transaction.atomic():
        audit_log_write(
            actor=user, action="report.download", obj=export, detail={"kind": export.kind, "file": export.file.name}
        )
    filename = f"{export.get_kind_display()}-{export.program.name}.xlsx"
    return private_file_response(
        name=export.file.name,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
