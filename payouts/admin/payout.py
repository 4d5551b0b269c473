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
from quotas.permissions import (
    MONEY_ROLES,
    may_build_payout_lists,
    may_export_payout_list,
    may_record_bank_return,
    may_reissue_payout_list,
    programs_permitted,
)
from quotas.selectors import cofunder_staff_of, union_admin_of

from ..models import PayoutLine, PayoutLineStatus, PayoutList
from ..payout.selectors import payout_lists_visible_to
from ..payout.services import payout_list_export_request, payout_lists_build_for_batch, payout_reissue_build
from .program_batch import program_batch_page


class _PayerVisibleAdmin(ReadOnlyMixin, UnionScopedAdmin):
    """Also open to a university's staff (no union): its queryset is the lists it pays."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return union_admin_of(request.user) is not None or cofunder_staff_of(request.user) is not None

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request) and self._in_scope(request, obj)


@admin.register(PayoutList)
class PayoutListAdmin(_PayerVisibleAdmin):
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
        "payer_cofunder",
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

    def get_actions(self, request, *args, **kwargs):
        # The lists shown are the owner side's and the paying union's own: a manager or
        # finance account may act on them (each list is checked again in the action).
        actions = super().get_actions(request, *args, **kwargs)
        admin_ = union_admin_of(request.user) or cofunder_staff_of(request.user)
        if admin_ is None or admin_.role not in MONEY_ROLES:
            actions.pop("export_selected", None)
            actions.pop("reissue_selected", None)
        return actions

    def changelist_view(self, request, extra_context=None):
        may_build = bool(programs_permitted(user=request.user, check=may_build_payout_lists))
        return super().changelist_view(request, {**(extra_context or {}), "may_build": may_build})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {
            "may_export": obj is not None and may_export_payout_list(user=request.user, payout_list=obj).allowed,
            "may_bank_return": obj is not None and may_record_bank_return(user=request.user, payout_list=obj).allowed,
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    @admin.action(description=gettext_lazy("生成导出文件（含完整证件号）"))
    def export_selected(self, request: HttpRequest, queryset) -> None:
        started = 0
        for payout_list in queryset:
            permit = may_export_payout_list(user=request.user, payout_list=payout_list)
            if not permit:
                self.message_user(request, f"{payout_list.title}：{permit.reason}", messages.ERROR)
                continue
            payout_list_export_request(payout_list=payout_list, actor=request.user)
            started += 1
        if started:
            self.message_user(request, _("已开始生成 %(n)d 份名单文件。") % {"n": started}, messages.INFO)

    @admin.action(description=gettext_lazy("生成补发名单（已更新银行卡或电子账户的失败明细）"))
    def reissue_selected(self, request: HttpRequest, queryset) -> None:
        for payout_list in queryset:
            permit = may_reissue_payout_list(user=request.user, payout_list=payout_list)
            if not permit:
                self.message_user(request, f"{payout_list.title}：{permit.reason}", messages.ERROR)
                continue
            try:
                reissues = payout_reissue_build(payout_list=payout_list, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{payout_list.title}：{'；'.join(exc.messages)}", messages.WARNING)
            else:
                titles = "、".join(r.title for r in reissues)
                self.message_user(request, _("已生成：%(t)s") % {"t": titles}, messages.SUCCESS)

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
            permission=may_build_payout_lists,
            title=_("生成发放名单"),
            template="payouts/payout/admin_build.html",
            success=lambda built: _("已生成 %(n)d 份发放名单。") % {"n": len(built)},
            done_url="admin:payouts_payoutlist_changelist",
        )


@admin.register(PayoutLine)
class PayoutLineAdmin(_PayerVisibleAdmin):
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
