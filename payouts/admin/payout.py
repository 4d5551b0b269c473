"""Admin of payout lists and lines: read-only records; writes are actions that call the
payout services (build lists, build a reissue list, export). Numbers are masked here; the
full numbers exist only in the exported file, for the roles allowed to download it."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quotas.admin_scoping import ReadOnlyMixin, UnionScopedAdmin

from ..models import PayoutLine, PayoutLineStatus, PayoutList
from ..payout.selectors import payout_list_may_export, payout_lists_visible_to
from ..payout.services import payout_list_export_request, payout_lists_build_for_batch, payout_reissue_build
from .program_batch import program_batch_page


@admin.register(PayoutList)
class PayoutListAdmin(ReadOnlyMixin, UnionScopedAdmin):
    union_lookup = "program__owner_union"
    list_display = (
        "title",
        "payer_name",
        "batch",
        "status",
        "row_count",
        "total_yuan",
        "void_summary",
        "export_state",
        "exported_at",
        "lines_link",
    )
    list_filter = ("status", "source", "batch")
    readonly_fields = (
        "title",
        "program",
        "source",
        "payer_union",
        "payer_name",
        "batch",
        "reissue_of",
        "status",
        "row_count",
        "total_yuan",
        "created_by",
        "created_at",
        "export_state",
        "exported_at",
    )
    fields = readonly_fields
    actions = ("export_selected", "reissue_selected")
    change_form_template = "payouts/payout/admin_change_form.html"
    change_list_template = "payouts/payout/admin_change_list.html"

    def get_queryset(self, request):
        # Wider than the base scoping: a county's finance also sees the lists its county pays.
        return (
            payout_lists_visible_to(request.user)
            .select_related("program__owner_union", "batch", "source")
            .annotate(
                void_n=Count("lines", filter=Q(lines__status=PayoutLineStatus.VOID)),
                void_yuan=Sum("lines__amount_yuan", filter=Q(lines__status=PayoutLineStatus.VOID)),
            )
        )

    @admin.display(description=gettext_lazy("作废"))
    def void_summary(self, obj: PayoutList) -> str:
        # Built figures stay as sent to the bank; what was voided since is shown beside them.
        if not obj.void_n:
            return "—"
        return _("%(n)d人 %(yuan)d元") % {"n": obj.void_n, "yuan": obj.void_yuan or 0}

    @admin.display(description=gettext_lazy("导出状态"))
    def export_state(self, obj: PayoutList) -> str:
        # The latest export job (PayoutExport): status and progress as the page polls them.
        job = obj.export_job
        if job is None:
            return obj.get_export_status_display()
        return f"{job.get_status_display()} {job.progress}%"

    @admin.display(description=gettext_lazy("明细"))
    def lines_link(self, obj: PayoutList) -> str:
        url = reverse("admin:payouts_payoutline_changelist") + f"?payout_list__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("查看明细"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        may_export = obj is not None and payout_list_may_export(user=request.user, payout_list=obj)
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "may_export": may_export})

    @admin.action(description=gettext_lazy("生成导出文件（含完整证件号）"))
    def export_selected(self, request: HttpRequest, queryset) -> None:
        started = 0
        for payout_list in queryset:
            if not payout_list_may_export(user=request.user, payout_list=payout_list):
                self.message_user(request, _("无权导出：%(t)s") % {"t": payout_list.title}, messages.ERROR)
                continue
            payout_list_export_request(payout_list=payout_list, actor=request.user)
            started += 1
        if started:
            self.message_user(request, _("已开始生成 %(n)d 份名单文件。") % {"n": started}, messages.INFO)

    @admin.action(description=gettext_lazy("生成补发名单（已更新银行卡的失败明细）"))
    def reissue_selected(self, request: HttpRequest, queryset) -> None:
        for payout_list in queryset:
            if not payout_list_may_export(user=request.user, payout_list=payout_list):
                self.message_user(request, _("无权操作：%(t)s") % {"t": payout_list.title}, messages.ERROR)
                continue
            try:
                reissue = payout_reissue_build(payout_list=payout_list, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{payout_list.title}：{'；'.join(exc.messages)}", messages.WARNING)
            else:
                self.message_user(request, _("已生成：%(t)s") % {"t": reissue.title}, messages.SUCCESS)

    def get_urls(self):
        return [
            path("build/", self.admin_site.admin_view(self.build_view), name="payouts_payoutlist_build"),
            *super().get_urls(),
        ]

    def build_view(self, request: HttpRequest) -> HttpResponse:
        return program_batch_page(
            self,
            request,
            service=payout_lists_build_for_batch,
            title=_("生成发放名单"),
            template="payouts/payout/admin_build.html",
            success=lambda built: _("已生成 %(n)d 份发放名单。") % {"n": len(built)},
            done_url="admin:payouts_payoutlist_changelist",
        )


@admin.register(PayoutLine)
class PayoutLineAdmin(ReadOnlyMixin, UnionScopedAdmin):
    union_lookup = "payout_list__program__owner_union"
    list_display = (
        "sequence",
        "name",
        "id_number_masked",
        "bank_card_masked",
        "bank_name",
        "amount_yuan",
        "unit_name",
        "status",
        "bank_message",
        "void_reason",
    )
    list_filter = ("status",)
    list_per_page = 100
    readonly_fields = list_display
    fields = list_display
    search_fields = ("name",)

    def get_queryset(self, request):
        return PayoutLine.objects.filter(payout_list__in=payout_lists_visible_to(request.user)).select_related(
            "payout_list"
        )
