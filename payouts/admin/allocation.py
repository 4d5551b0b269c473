"""Admin of allocation runs and awards: read-only lists (writes only through the
allocation services), links to the run page and the quota usage page per programme."""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from qiuxue.masking import mask_name
from quotas.admin_scoping import ReadOnlyMixin, UnionScopedAdmin
from quotas.models import Program
from quotas.permissions import may_run_allocation
from quotas.selectors import union_scope_of

from ..models import AllocationRun, Award


@admin.register(AllocationRun)
class AllocationRunAdmin(ReadOnlyMixin, UnionScopedAdmin):
    union_lookup = "program__owner_union"
    list_display = ("id", "program", "batch", "dry_run", "status", "progress", "requested_by", "created_at", "page")
    list_filter = ("status", "dry_run", "program")
    change_list_template = "payouts/allocation/admin_run_changelist.html"

    @admin.display(description=_("运行页面"))
    def page(self, obj: AllocationRun) -> str:
        return format_html('<a href="{}">{}</a>', reverse("payouts:allocation_run", args=[obj.pk]), _("查看"))

    def changelist_view(self, request: HttpRequest, extra_context=None):
        # The owner's side (and above) sees each programme's usage; the run link only where
        # the user may run it (managers of the owner or above).
        scope = union_scope_of(request.user)
        programs = (
            Program.objects.filter(owner_union__path__startswith=scope.path).select_related("owner_union")
            if scope is not None
            else Program.objects.none()
        ).order_by("-year", "name")
        rows = [{"program": p, "may_run": may_run_allocation(user=request.user, program=p).allowed} for p in programs]
        return super().changelist_view(request, {**(extra_context or {}), "allocation_programs": rows})


@admin.register(Award)
class AwardAdmin(ReadOnlyMixin, UnionScopedAdmin):
    union_lookup = "application__worker__union"
    list_display = (
        "application",
        "worker_name",
        "source",
        "batch",
        "amount_yuan",
        "via",
        "rank",
        "status",
        "explanation",
    )
    list_filter = ("source", "batch", "via", "status")
    search_fields = ("application__number",)
    list_select_related = ("application__worker", "source", "batch")

    @admin.display(description=_("姓名"))
    def worker_name(self, obj: Award) -> str:
        return mask_name(obj.application.worker.name)
