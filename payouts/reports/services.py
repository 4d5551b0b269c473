"""Report exports: asked for on the dashboard, built by a Celery task, downloaded through
an audited, scoped view. Files live under the private MEDIA_ROOT and are never routed."""

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


def _progress_setter(export_id: int):
    def set_progress(percent: int) -> None:
        # Outside any transaction: the dashboard sees the bar move while the task runs.
        ReportExport.objects.filter(pk=export_id).update(progress=min(percent, 99))

    return set_progress


def report_export_build(*, export_id: int) -> ReportExport:
    """Build the file. Idempotent: a finished export is left alone on a retry."""
    claimed = ReportExport.objects.filter(
        pk=export_id, status__in=[ReportExport.Status.QUEUED, ReportExport.Status.FAILED]
    ).update(status=ReportExport.Status.RUNNING, progress=5, message="")
    export = ReportExport.objects.select_related("program__owner_union", "batch", "scope").get(pk=export_id)
    if not claimed:
        return export
    progress = _progress_setter(export_id)
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
            export.finished_at = timezone.now()
            export.save(update_fields=["file", "status", "progress", "finished_at"])
    except Exception as exc:
        logger.exception("report export %s failed", export_id)
        ReportExport.objects.filter(pk=export_id).update(
            status=ReportExport.Status.FAILED, message=str(exc)[:300], finished_at=timezone.now()
        )
        raise
    return export


def report_export_download(*, export: ReportExport, user: AbstractBaseUser) -> FileResponse:
    """Hand the file out and record who took it. The caller has checked the scope."""
    if export.status != ReportExport.Status.DONE or not export.file:
        raise ReportError(_("报表尚未生成完成。"))
    with transaction.atomic():
        audit_log_write(
            actor=user, action="report.download", obj=export, detail={"kind": export.kind, "file": export.file.name}
        )
    filename = f"{export.get_kind_display()}-{export.program.name}.xlsx"
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=filename)
