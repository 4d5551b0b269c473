"""信息变更核实: changes of card, name, employer or union asked for after approval.

Each admin sees the changes of the workers in their subtree (``UnionScopedAdmin`` on the
worker's union). Confirm and refuse call ``applications.changes``; who may decide (the
worker's union tree, the programme owner's finance, never the person themself) is checked
there, under the locks, and a refusal is shown on the page.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.changes import (
    change_fields_label,
    change_summary,
    worker_change_confirm,
    worker_change_refusal_for,
    worker_change_refuse,
)
from applications.models import Application, ApplicationStatus, WorkerChange, WorkerChangeStatus
from quotas.admin_scoping import UnionScopedAdmin
from quotas.selectors import union_admin_of


class ConfirmForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("核实情况（可选）"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("例如：已电话联系职工本人核实，新卡为本人名下账户。"),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("不通过原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("不通过必须填写原因，职工会收到这条说明。")},
    )


class PendingFirstFilter(admin.SimpleListFilter):
    """Opens on what waits for a decision; the decided ones are one click away."""

    title = gettext_lazy("状态")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*WorkerChangeStatus.choices, ("all", _("全部"))]

    def choices(self, changelist):
        value = self.value() or WorkerChangeStatus.PENDING
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or WorkerChangeStatus.PENDING
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(WorkerChange)
class WorkerChangeAdmin(UnionScopedAdmin):
    union_lookup = "worker__union"
    list_display = ("requested_at", "worker_name", "phone_masked", "what", "summary", "status", "decided_at")
    list_display_links = ("requested_at", "worker_name")
    list_filter = (PendingFirstFilter,)
    list_select_related = ("worker__union",)
    search_fields = ("worker__name",)
    search_help_text = gettext_lazy("按姓名查询")
    ordering = ("requested_at", "id")  # oldest first: the money waits longest there
    show_full_result_count = False

    class Media:
        css = {"all": ("reviews/review.css",)}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # "Change" means "may open the decision page"; the service decides who may decide.
        return union_admin_of(request.user) is not None and self._in_scope(request, obj)

    @admin.display(description=gettext_lazy("姓名"), ordering="worker__name")
    def worker_name(self, obj: WorkerChange) -> str:
        return obj.worker.name

    @admin.display(description=gettext_lazy("手机号"))
    def phone_masked(self, obj: WorkerChange) -> str:
        return obj.worker.phone_masked

    @admin.display(description=gettext_lazy("变更项目"))
    def what(self, obj: WorkerChange) -> str:
        return change_fields_label(obj.fields)

    @admin.display(description=gettext_lazy("变更前 → 变更后"))
    def summary(self, obj: WorkerChange) -> str:
        return change_summary(obj)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        found = self.get_object(request, unquote(object_id))
        if found is None:
            raise Http404(_("没有这条信息变更，或不在您的管辖范围内。"))
        change = WorkerChange.objects.select_related("worker__union", "union", "decided_by").get(pk=found.pk)
        forms_ = {"confirm": ConfirmForm(prefix="confirm"), "refuse": RefuseForm(prefix="refuse")}
        if request.method == "POST":
            decision = request.POST.get("decision", "")
            if decision in forms_:
                form = type(forms_[decision])(request.POST, prefix=decision)
                forms_[decision] = form
                if form.is_valid():
                    try:
                        if decision == "confirm":
                            worker_change_confirm(change=change, actor=request.user, note=form.cleaned_data["note"])
                        else:
                            worker_change_refuse(change=change, actor=request.user, reason=form.cleaned_data["reason"])
                    except ValidationError as exc:
                        for message in exc.messages:
                            messages.error(request, message)
                    else:
                        done = _("已确认，职工信息已更新。") if decision == "confirm" else _("已驳回，原信息不变。")
                        messages.success(request, _("%(w)s 的信息变更%(d)s") % {"w": change.worker.name, "d": done})
                        return HttpResponseRedirect(reverse("admin:applications_workerchange_changelist"))
            else:
                messages.error(request, _("请选择确认或驳回。"))
            change.refresh_from_db()
        refusal = ""
        if change.status == WorkerChangeStatus.PENDING:
            refusal = worker_change_refusal_for(change=change, actor=request.user)
        rows = [
            {
                "label": label,
                "before": change.before.get(name, ""),
                "after": change.after.get(name, ""),
            }
            for name, label in (
                ("name", _("姓名")),
                ("employer", _("工作单位")),
                ("union", _("所在工会")),
                ("bank_name", _("开户银行")),
                ("bank_card", _("银行卡号")),
            )
            if name in change.fields
        ]
        applications = (
            Application.objects.filter(
                worker=change.worker, status__in=(ApplicationStatus.APPROVED, ApplicationStatus.PAID)
            )
            .select_related("program")
            .order_by("-submitted_at")
        )
        return TemplateResponse(
            request,
            "admin/reviews/workerchange/decide.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "app_label": self.model._meta.app_label,
                "title": _("信息变更核实：%(w)s") % {"w": change.worker.name},
                "original": change,
                "change": change,
                "worker": change.worker,
                "rows": rows,
                "applications": applications,
                "can_decide": change.status == WorkerChangeStatus.PENDING and not refusal,
                "refusal": refusal,
                "forms": forms_,
            },
        )
