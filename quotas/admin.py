"""Admin for the rules of the game. Every class is scoped to the admin's union subtree.

Programme set-up (Program, Batch, FundingSource, Quota, CatalogueEntry) is written only
by managers of the programme's owner union or above: the city federation for Jinan and
Linyi, the district federation that runs its own programme for Xian'an and Conghua.
Everyone below sees the set-up of the programmes above them, read-only.
"""

from django.contrib import admin, messages
from django.db.models import Q, Sum
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import admin_views
from .admin_permissions import may_write_setup, setup_visible
from .admin_scoping import UnionScopedAdmin
from .audit import AUDIT_LABELS, AuditAction
from .forms import ProgramForm, ProgramStageForm, QuotaSlotsForm, UnionAdminForm, UnionTreeForm
from .models import (
    AuditLog,
    Batch,
    CatalogueEntry,
    FundingSource,
    PaymentChannel,
    Program,
    ProgramStage,
    Quota,
    ReviewRound,
    Union,
    UnionAdmin,
)
from .permissions import may_view_audit_log
from .selectors import union_admin_of, union_scope_of
from .services import (
    quota_slots_set,
    setup_object_save,
    union_admin_create,
    union_admin_delete,
    union_admin_update,
    union_create,
    union_update,
)


class SetupAdmin(UnionScopedAdmin):
    """Programme set-up: readable by the owner's whole subtree, written by the owner."""

    union_lookup = "program__owner_union"

    def get_queryset(self, request: HttpRequest):
        return setup_visible(request, admin.ModelAdmin.get_queryset(self, request), self.union_lookup)

    def _may_write(self, request: HttpRequest) -> bool:
        return may_write_setup(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_write_setup(request, obj) and self._in_scope(request, obj)

    def save_model(self, request, obj, form, change):
        setup_object_save(obj=obj, actor=request.user, changed_fields=form.changed_data)


class SetupInline(admin.TabularInline):
    """Inline rows follow the parent programme's write rule (admins hold no Django perms)."""

    extra = 0
    show_change_link = False

    def has_view_permission(self, request, obj=None):
        return union_admin_of(request.user) is not None

    def has_add_permission(self, request, obj=None):
        return may_write_setup(request, obj)

    def has_change_permission(self, request, obj=None):
        return may_write_setup(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class BatchInline(SetupInline):
    model = Batch
    fields = [
        "number",
        "name",
        "apply_opens",
        "apply_closes",
        "review_opens",
        "review_closes",
        "skip_if_quota_filled",
        "closed_as_filled_at",
    ]
    # Set by the allocation (payouts.allocation.batch_fill), never by hand.
    readonly_fields = ["closed_as_filled_at"]


class ProgramStageInline(SetupInline):
    """Programmes in stages (Xian'an: 申请助学, then 助学金申报); none = one step as before."""

    model = ProgramStage
    form = ProgramStageForm
    fields = [
        "number",
        "name",
        "required_documents",
        "review_tiers",
        "asks_study_facts",
        "opens",
        "closes",
        "reminder_days",
        "grace_days",
    ]

    def get_fields(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return self.fields
        # Read only: the lists in Chinese, not their codes.
        return [f"{f}_labels" if f in ProgramStageForm.LIST_FIELDS else f for f in self.fields]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "required_documents_labels", "review_tiers_labels"]

    @admin.display(description=_("本阶段材料"))
    def required_documents_labels(self, stage):
        return _code_labels(stage.required_documents, ProgramStageForm.LIST_FIELDS["required_documents"])

    @admin.display(description=_("本阶段审核层级"))
    def review_tiers_labels(self, stage):
        return _code_labels(stage.review_tiers, ProgramStageForm.LIST_FIELDS["review_tiers"])


def _code_labels(codes, choices) -> str:
    labels = dict(choices)
    return "、".join(str(labels.get(c, c)) for c in codes or []) or "—"


class PaymentChannelInline(SetupInline):
    """Channels besides the bank card (always offered): an app wallet, 数字人民币."""

    model = PaymentChannel
    fields = ["position", "kind", "name", "account_label", "payer_name", "min_length", "max_length"]


class FundingSourceInline(SetupInline):
    model = FundingSource
    fields = [
        "position",
        "name",
        "amount_yuan",
        "total_slots",
        "payer_rule",
        "payer_union",
        "payer_name",
        "uses_unit_quotas",
        "batch_split",
        "first_batches_cap",
        "matching_of",
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Union:
            scope = union_scope_of(request.user)
            kwargs["queryset"] = Union.objects.subtree_of(scope) if scope else Union.objects.none()
        if db_field.name == "matching_of":
            scope = union_scope_of(request.user)
            kwargs["queryset"] = (
                FundingSource.objects.filter(program__owner_union__path__startswith=scope.path)
                if scope
                else FundingSource.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Union)
class UnionTreeAdmin(UnionScopedAdmin):
    """The union tree, edited from above: a manager creates, renames, moves and relabels
    the unions below their own; their own union's name, code, level and parent are set by
    the union above (``union_update`` refuses, the form shows why)."""

    union_lookup = "parent"  # unused: get_queryset filters the union itself
    form = UnionTreeForm
    list_display = ["indented_name", "level", "code", "member_count"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    ordering = ["path"]
    list_per_page = 200
    fields = ["parent", "name", "code", "level", "member_count"]

    def get_queryset(self, request: HttpRequest):
        qs = admin.ModelAdmin.get_queryset(self, request)
        scope = union_scope_of(request.user)
        return qs.subtree_of(scope) if scope else qs.none()

    def get_readonly_fields(self, request, obj=None):
        # The own union's parent lies outside the picker's subtree: shown, not offered.
        scope = union_scope_of(request.user)
        return ["parent"] if obj is not None and scope is not None and obj.pk == scope.pk else []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form = type(form.__name__, (form,), {"actor": request.user})
        if "parent" in form.base_fields:
            form.base_fields["parent"].required = True
        return form

    def change_view(self, request, object_id, form_url="", extra_context=None):
        scope = union_scope_of(request.user)
        if scope is not None and str(scope.pk) == str(object_id):
            extra_context = {
                **(extra_context or {}),
                "subtitle": _("本工会的名称、代码、层级和上级单位由上级工会管理员修改"),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("名称"), ordering="path")
    def indented_name(self, obj: Union) -> str:
        scope = getattr(self, "_scope_depth", 0)
        return format_html('<span style="padding-left:{}em">{}</span>', 1.5 * max(obj.depth - scope, 0), obj.name)

    def changelist_view(self, request, extra_context=None):
        scope = union_scope_of(request.user)
        self._scope_depth = scope.depth if scope else 0
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in ("name", "code", "level", "member_count")}
        if change:
            if "parent" in form.cleaned_data:
                data["parent"] = form.cleaned_data["parent"]
            union_update(union=obj, actor=request.user, **data)
        else:
            created = union_create(parent=form.cleaned_data["parent"], actor=request.user, **data)
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth


@admin.register(UnionAdmin)
class UnionAdminAccountAdmin(UnionScopedAdmin):
    """Staff accounts of the unions. Only staff accounts are offered (never a worker's, so
    no worker's phone number is listed); creating, changing and removing are audited."""

    union_lookup = "union"
    form = UnionAdminForm
    list_display = ["user", "union", "role", "id_number_masked"]
    list_filter = ["role"]
    search_fields = ["user__username", "union__name"]
    autocomplete_fields = []
    actions = ["two_factor_reset"]

    @admin.action(description=_("重置双因素认证（手机丢失时，由上级工会管理员办理）"))
    def two_factor_reset(self, request, queryset):
        from django.core.exceptions import PermissionDenied

        from .two_factor import staff_otp_reset

        done = 0
        for union_admin in queryset.select_related("union", "user"):
            try:
                staff_otp_reset(actor=request.user, target=union_admin)
            except PermissionDenied as exc:
                messages.error(request, f"{union_admin.user.get_username()}：{exc}")
            else:
                done += 1
        if done:
            messages.success(request, _("已重置 %(n)d 个账号的双因素认证，对方下次登录时重新绑定。") % {"n": done})

    def get_fields(self, request, obj=None):
        numbers = ["id_number", "phone", "bank_card"]
        if obj is not None and not self.has_change_permission(request, obj):
            # Read only: the stored masks, not the empty inputs of the form.
            return ["user_name", "union", "role", "id_number_masked", "phone_masked", "bank_card_masked"]
        if obj is None:
            return ["user", "username", "password", "union", "role", *numbers]
        return ["user_name", "union", "role", *numbers]

    def get_readonly_fields(self, request, obj=None):
        return ["user_name"] if obj is not None else []

    @admin.display(description=_("账号"))
    def user_name(self, obj):
        return obj.user.get_username()

    def has_delete_permission(self, request, obj=None):
        return self._may_write(request) and self._in_scope(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        numbers = {k: data.get(k, "") for k in ("id_number", "phone", "bank_card")}
        if change:
            union_admin_update(union_admin=obj, actor=request.user, union=data["union"], role=data["role"], **numbers)
        else:
            created = union_admin_create(
                user=data.get("user"),
                username=data.get("username", ""),
                password=data.get("password", ""),
                union=data["union"],
                role=data["role"],
                actor=request.user,
                **numbers,
            )
            obj.pk, obj.user = created.pk, created.user

    def delete_view(self, request, object_id, extra_context=None):
        found = self.get_object(request, object_id)
        if request.method == "POST" and found is not None and found.user_id == request.user.pk:
            messages.error(request, _("不能移除您自己的管理员身份；请由其他管理员办理。"))
            return redirect("admin:quotas_unionadmin_change", found.pk)
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        union_admin_delete(union_admin=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for union_admin in queryset.exclude(user=request.user):
            union_admin_delete(union_admin=union_admin, actor=request.user)


@admin.register(Program)
class ProgramAdmin(SetupAdmin):
    union_lookup = "owner_union"
    form = ProgramForm

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            # Read only: the lists in Chinese, not their JSON codes.
            fields = [f"{f}_labels" if f in ProgramForm.LIST_FIELDS else f for f in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        names = list(super().get_readonly_fields(request, obj))
        return names + [f"{f}_labels" for f in ProgramForm.LIST_FIELDS]

    def __getattr__(self, name):
        # eligible_levels_labels, review_tiers_labels, …: one display per list field.
        field = name.removesuffix("_labels")
        if name.endswith("_labels") and field in ProgramForm.LIST_FIELDS:
            labels = dict(ProgramForm.LIST_FIELDS[field])

            def show(obj):
                return "、".join(str(labels.get(code, code)) for code in getattr(obj, field) or []) or "—"

            show.short_description = Program._meta.get_field(field).verbose_name
            return show
        raise AttributeError(name)

    list_display = ["name", "year", "owner_union", "allocation_mode", "is_open"]
    list_filter = ["year", "allocation_mode"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}
    inlines = [BatchInline, ProgramStageInline, FundingSourceInline, PaymentChannelInline]

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            changed = next((f.changed_data for f in formset.forms if f.instance is instance), [])
            setup_object_save(obj=instance, actor=request.user, changed_fields=changed)
        formset.save_m2m()


@admin.register(FundingSource)
class FundingSourceAdmin(SetupAdmin):
    list_display = ["name", "program", "amount_yuan", "total_slots", "table_sum", "payer", "tools"]
    list_filter = [("program", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "program__name"]
    actions = ["apportion_action"]
    change_form_template = "quotas/admin/fundingsource_change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("program__owner_union", "payer_union")
            .annotate(quota_sum=Sum("quotas__slots"))
        )

    @admin.display(description=_("名额表合计"))
    def table_sum(self, obj):
        return obj.quota_sum if obj.quota_sum is not None else "—"

    @admin.display(description=_("发放单位"))
    def payer(self, obj):
        return obj.payer_display

    @admin.display(description=_("名额表"))
    def tools(self, obj):
        if not obj.uses_unit_quotas:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:quotas_quota_changelist") + f"?source__id__exact={obj.pk}",
            _("查看"),
            reverse("admin:quotas_fundingsource_quota_import", args=[obj.pk]),
            _("导入"),
            reverse("admin:quotas_fundingsource_quota_export", args=[obj.pk]),
            _("导出"),
            reverse("admin:quotas_fundingsource_quota_transfer", args=[obj.pk]),
            _("调剂"),
        )

    @admin.action(description=_("按会员数比例生成名额表"))
    def apportion_action(self, request, queryset):
        from django.contrib import messages
        from django.shortcuts import redirect

        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个补助来源"), messages.ERROR)
            return None
        return redirect("admin:quotas_fundingsource_apportion", queryset.get().pk)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:source_id>/quota-import/",
                view(admin_views.QuotaImportUploadView.as_view(model_admin=self)),
                name="quotas_fundingsource_quota_import",
            ),
            path(
                "<int:source_id>/quota-import/preview/",
                view(admin_views.QuotaImportPreviewView.as_view(model_admin=self)),
                name="quotas_fundingsource_quota_import_preview",
            ),
            path(
                "<int:source_id>/quota-export/",
                view(admin_views.QuotaExportView.as_view(model_admin=self)),
                name="quotas_fundingsource_quota_export",
            ),
            path(
                "<int:source_id>/quota-transfer/",
                view(admin_views.QuotaTransferView.as_view(model_admin=self)),
                name="quotas_fundingsource_quota_transfer",
            ),
            path(
                "<int:source_id>/apportion/",
                view(admin_views.ApportionView.as_view(model_admin=self)),
                name="quotas_fundingsource_apportion",
            ),
            *super().get_urls(),
        ]


@admin.register(Quota)
class QuotaAdmin(SetupAdmin):
    union_lookup = "union"
    list_display = ["position", "__str__", "union", "slots", "release_unused_at", "source"]
    list_display_links = ["__str__"]
    list_filter = [("source", admin.RelatedOnlyFieldListFilter), "is_pool"]
    search_fields = ["label", "union__name"]
    ordering = ["source", "is_pool", "position"]
    list_per_page = 200
    form = QuotaSlotsForm
    fields = ["source", "union", "label", "is_pool", "position", "slots", "release_unused_at"]
    readonly_fields = ["source", "union", "label", "is_pool", "position"]
    change_list_template = "quotas/admin/quota_change_list.html"

    def get_queryset(self, request: HttpRequest):
        qs = admin.ModelAdmin.get_queryset(self, request).select_related("union", "source__program__owner_union")
        scope = union_scope_of(request.user)
        if scope is None:
            return qs.none()
        # A unit's row is seen from its own subtree; the pool row by the owner and above.
        return qs.filter(
            Q(union__path__startswith=scope.path)
            | Q(is_pool=True, source__program__owner_union__path__startswith=scope.path)
        )

    def has_add_permission(self, request):
        return False  # rows come from an imported or proposed table, never one by one

    def save_model(self, request, obj, form, change):
        quota_slots_set(
            quota=obj,
            slots=form.cleaned_data["slots"],
            release_unused_at=form.cleaned_data["release_unused_at"],
            actor=request.user,
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl") if hasattr(response, "context_data") else None
        if cl is not None:
            sums = list(
                cl.queryset.order_by()
                .values(
                    "source_id",
                    "source__name",
                    "source__program__name",
                    "source__total_slots",
                    "source__program__owner_union__path",
                )
                .annotate(total=Sum("slots"))
                .order_by("source_id")
            )
            scope = union_scope_of(request.user)
            for entry in sums:
                # Only the owner and above see every row, so only they compare with the total.
                entry["complete"] = entry["source__program__owner_union__path"].startswith(scope.path)
            response.context_data["source_sums"] = sums
            source_id = request.GET.get("source__id__exact")
            if source_id and source_id.isdigit():
                visible = setup_visible(request, FundingSource.objects.all(), "program__owner_union")
                source = visible.filter(pk=int(source_id)).select_related("program__owner_union").first()
                if source is not None:
                    response.context_data["source"] = source
                    response.context_data["may_write_source"] = may_write_setup(request, source)
        return response


@admin.register(ReviewRound)
class ReviewRoundAdmin(SetupAdmin):
    """A programme's review rounds (Linyi: 5月5日至6月10日, 11月1日至12月9日). With rounds,
    they decide when every batch is reviewed; an application unfinished at a round's close
    waits for the next (``quotas.review_rounds``)."""

    list_display = ["program", "number", "opens", "closes"]
    list_filter = [("program", admin.RelatedOnlyFieldListFilter)]
    ordering = ["program", "number"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "program":
            # Only the programmes this manager may set up: owned by their union or below.
            scope = union_scope_of(request.user)
            kwargs["queryset"] = (
                Program.objects.filter(owner_union__path__startswith=scope.path) if scope else Program.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(CatalogueEntry)
class CatalogueEntryAdmin(SetupAdmin):
    list_display = ["school", "level", "category", "major", "program"]
    list_filter = [("program", admin.RelatedOnlyFieldListFilter), "level", "school"]
    search_fields = ["school", "major"]


class AuditActionFilter(admin.SimpleListFilter):
    """By the Chinese labels of the one vocabulary (``AuditAction``)."""

    title = _("操作")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return AuditAction.choices

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditLog)
class AuditLogAdmin(UnionScopedAdmin):
    """Read-only, for the managers and finance of a union that runs (or is above) a
    programme (``may_view_audit_log``); each sees the log of acts done inside their subtree."""

    union_lookup = "actor_union"
    list_display = ["at", "actor", "actor_union", "action_label", "object_type", "object_id"]
    list_filter = [AuditActionFilter]
    search_fields = ["action", "object_id", "actor__username"]
    date_hierarchy = "at"
    readonly_fields = ["at", "actor", "actor_union", "action_label", "object_type", "object_id", "detail"]

    @admin.display(description=_("操作"), ordering="action")
    def action_label(self, obj: AuditLog) -> str:
        return AUDIT_LABELS.get(obj.action, obj.action)

    def has_module_permission(self, request):
        return may_view_audit_log(user=request.user).allowed

    def has_view_permission(self, request, obj=None):
        return may_view_audit_log(user=request.user).allowed and self._in_scope(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


from . import roster_admin, topup_admin  # noqa: E402, F401  (register the rosters' and top-ups' admins)
