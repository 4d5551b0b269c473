"""The dashboard page and the report buttons: thin views over selectors and services.

Mounted inside the admin site (see ``payouts.admin.dashboard``), so they get the admin's
login, CSRF and look; the scope comes from the signed-in admin's union.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from payouts.models import ReportExport, ReportKind
from payouts.reports.services import ReportError, report_export_download, report_export_request
from quotas.permissions import may_view_dashboard, programs_permitted
from quotas.selectors import union_scope_of

from .province import programs_below, source_rows
from .selectors import programs_visible_to
from .snapshots import dashboard_snapshot, max_age_seconds, province_snapshot


def _scope_or_403(request: HttpRequest):
    scope = union_scope_of(request.user)
    if scope is None:
        raise PermissionDenied
    return scope


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def dashboard_view(request: HttpRequest, *, admin_site) -> HttpResponse:
    scope = _scope_or_403(request)
    # Authority from the programme (may_view_dashboard), never from the viewer's level.
    programs = programs_permitted(
        user=request.user, check=may_view_dashboard, programs=programs_visible_to(scope=scope)
    )
    program = next((p for p in programs if p.pk == _int(request.GET.get("program"))), programs[0] if programs else None)
    batches = list(program.batches.order_by("number")) if program else []
    batch = next((b for b in batches if b.pk == _int(request.GET.get("batch"))), None)
    context = {
        **admin_site.each_context(request),
        "title": "数据看板",
        "scope": scope,
        "programs": programs,
        "program": program,
        "batches": batches,
        "batch": batch,
        "now": timezone.now(),
        "report_kinds": ReportKind.choices,
        "max_age": max_age_seconds(),
    }
    if programs_below(scope=scope, programs=programs):
        # A union above several owners (a province): their programmes side by side.
        province = province_snapshot(scope=scope, programs=programs)
        context.update(
            comparison=province.comparison,
            comparison_sources=source_rows(province.comparison),
            comparison_at=province.computed_at,
        )
    if program is not None:
        snapshot = dashboard_snapshot(program=program, scope=scope, batch=batch)
        context.update(stats=snapshot.stats, charts=snapshot.charts, computed_at=snapshot.computed_at)
        exports = list(
            ReportExport.objects.filter(program=program, scope__path__startswith=scope.path, requested_by=request.user)
            .select_related("batch")
            .order_by("-created_at")[:10]
        )
        context["exports"] = exports
        context["exports_running"] = any(e.status in ("queued", "running") for e in exports)
    return TemplateResponse(request, "payouts/dashboard/index.html", context)


@require_POST
def report_request_view(request: HttpRequest, *, admin_site) -> HttpResponse:
    scope = _scope_or_403(request)
    program = get_object_or_404(programs_visible_to(scope=scope), pk=_int(request.POST.get("program")))
    batch = program.batches.filter(pk=_int(request.POST.get("batch"))).first()
    try:
        report_export_request(user=request.user, program=program, kind=request.POST.get("kind", ""), batch=batch)
        messages.success(request, "报表已开始生成，完成后可在下方下载。")
    except ReportError as exc:
        messages.error(request, str(exc))
    query = f"?program={program.pk}" + (f"&batch={batch.pk}" if batch else "")
    return HttpResponseRedirect(reverse(f"{admin_site.name}:payouts_dashboard") + query)


def report_download_view(request: HttpRequest, pk: int, *, admin_site) -> HttpResponse:
    scope = _scope_or_403(request)
    # Scoped: an export covers a subtree; only admins at or above it may take the file.
    export = get_object_or_404(
        ReportExport.objects.select_related("program"), pk=pk, scope__path__startswith=scope.path
    )
    try:
        return report_export_download(export=export, user=request.user)
    except ReportError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse(f"{admin_site.name}:payouts_dashboard"))
