"""Staff pages of the allocation: run (with progress), status JSON, quota usage and export.
Thin: permission and scope checks, then a service or selector call."""

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from quotas.models import Batch, Program
from quotas.permissions import may_run_allocation
from quotas.selectors import union_scope_of
from quotas.services import audit_log_write

from ..models import AllocationRun
from .selectors import quota_usage
from .services import allocation_run_start, sources_in_order
from .xlsx import quota_usage_xlsx


class RunForm(forms.Form):
    batch = forms.ModelChoiceField(
        queryset=Batch.objects.none(),
        required=False,
        label=gettext_lazy("分配到批次"),
        empty_label=gettext_lazy("全部批次"),
    )
    dry_run = forms.BooleanField(required=False, initial=True, label=gettext_lazy("模拟运行（不写入，只看结果）"))

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = program.batches.order_by("number")


def _program_for(request: HttpRequest, slug: str) -> Program:
    """The programme, if the admin's union is above it (city staff) or inside it."""
    program = get_object_or_404(Program.objects.select_related("owner_union"), slug=slug)
    scope = union_scope_of(request.user)
    if scope is None or not (program.owner_union.is_within(scope) or scope.is_within(program.owner_union)):
        raise PermissionDenied(_("无权查看该实施方案。"))
    return program


@staff_member_required
@require_http_methods(["GET", "POST"])
def allocation_program(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program_for(request, slug)
    permit = may_run_allocation(user=request.user, program=program)
    if not permit:
        # Told why, on the usage page they may see, instead of a bare 403.
        messages.error(request, permit.reason)
        return redirect("payouts:allocation_usage", slug=program.slug)
    form = RunForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        try:
            run = allocation_run_start(
                program=program,
                batch=form.cleaned_data["batch"],
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            return redirect("payouts:allocation_run", pk=run.pk)
    runs = AllocationRun.objects.filter(program=program).select_related("batch", "requested_by")[:10]
    return render(request, "payouts/allocation/program.html", {"program": program, "form": form, "runs": runs})


def _run_for(request: HttpRequest, pk: int) -> AllocationRun:
    run = get_object_or_404(AllocationRun.objects.select_related("program__owner_union", "batch"), pk=pk)
    _program_for(request, run.program.slug)
    return run


@staff_member_required
def allocation_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_for(request, pk)
    results = [
        {"outcome": o, "usage": run.result.get("usage", {}).get(str(o["source_id"]), [])}
        for o in run.result.get("sources", [])
    ]
    return render(request, "payouts/allocation/run.html", {"run": run, "results": results})


@staff_member_required
def allocation_run_status(request: HttpRequest, pk: int) -> JsonResponse:
    run = _run_for(request, pk)
    return JsonResponse(
        {
            "status": run.status,
            "status_label": run.get_status_display(),
            "progress": run.progress,
            "message": run.message,
        }
    )


def _visible_rows(request: HttpRequest, program: Program, rows):
    """Admins below the programme's owner see their own subtree's lines only."""
    scope = union_scope_of(request.user)
    if program.owner_union.is_within(scope):
        return rows
    from quotas.models import Union

    visible = set(Union.objects.subtree_of(scope).values_list("pk", flat=True))
    return [r for r in rows[:-1] if r.union_id in visible]


@staff_member_required
def allocation_usage(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program_for(request, slug)
    tables = [
        {"source": s, "rows": _visible_rows(request, program, quota_usage(source=s))}
        for s in sources_in_order(program)
        if s.matching_of_id is None
    ]
    return render(
        request,
        "payouts/allocation/usage.html",
        {
            "program": program,
            "tables": tables,
            "may_run": may_run_allocation(user=request.user, program=program).allowed,
        },
    )


@staff_member_required
def allocation_usage_xlsx(request: HttpRequest, slug: str, source_id: int) -> HttpResponse:
    program = _program_for(request, slug)
    source = get_object_or_404(program.sources, pk=source_id)
    rows = quota_usage(source=source)
    visible = _visible_rows(request, program, rows)
    if visible is not rows:
        visible = [*visible, rows[-1].__class__(0, _("合计（本单位）"), None, False, *_sums(visible))]
    audit_log_write(actor=request.user, action="allocation.usage_export", obj=source, detail={"rows": len(visible)})
    response = HttpResponse(
        quota_usage_xlsx(source=source, rows=visible),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="quota-usage-{program.slug}-{source.pk}.xlsx"'
    return response


def _sums(rows) -> tuple[int, ...]:
    fields = ("slots", "approved", "awarded", "awarded_elsewhere", "unfunded", "waitlisted", "remaining")
    return tuple(sum(getattr(r, f) for r in rows) for f in fields)
