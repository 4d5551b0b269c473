"""Admin for the dashboard, reports and study follow-up.

The dashboard lives under the report admin's URLs (``admin:payouts_dashboard``), so it
inherits the admin's login and CSRF handling without touching the site object.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from payouts.dashboard import views as dashboard_views
from payouts.dashboard.selectors import programs_visible_to
from payouts.followup.selectors import FOLLOWED_STATUSES
from payouts.followup.services import FollowUpError, follow_up_import, study_follow_up_record
from payouts.models import ReportExport, StudyFollowUp
from quotas.admin_scoping import ReadOnlyMixin, UnionScopedAdmin
from quotas.models import AdminRole, Program
from quotas.selectors import union_scope_of


@admin.register(ReportExport)
class ReportExportAdmin(ReadOnlyMixin, UnionScopedAdmin):
    union_lookup = "scope"
    list_display = ("kind", "program", "batch", "scope", "requested_by", "status", "progress", "created_at")
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in ReportExport._meta.fields]

    def get_urls(self):
        site = self.admin_site

        def wrap(view):
            return site.admin_view(lambda request, **kw: view(request, admin_site=site, **kw))

        return [
            path("dashboard/", wrap(dashboard_views.dashboard_view), name="payouts_dashboard"),
            path("request/", wrap(dashboard_views.report_request_view), name="payouts_report_request"),
            path("<int:pk>/download/", wrap(dashboard_views.report_download_view), name="payouts_report_download"),
            *super().get_urls(),
        ]


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = StudyFollowUp
        fields = ("application", "status", "school", "note")


class FollowUpImportForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), label=_("实施方案"))
    file = forms.FileField(label=_("学校名单（.xlsx 或 .csv，列：姓名、身份证号、学校、状态）"))

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs_visible_to(scope=scope)


@admin.register(StudyFollowUp)
class StudyFollowUpAdmin(UnionScopedAdmin):
    union_lookup = "application__worker__union"
    union_path_field = "application__union_path"
    write_roles = (AdminRole.MANAGER, AdminRole.REVIEWER)
    form = FollowUpForm
    raw_id_fields = ("application",)
    list_display = ("application", "worker_name", "status", "school", "source", "recorded_at", "recorded_by")
    list_filter = ("status", "source", "application__program")
    list_select_related = ("application__worker", "recorded_by")
    search_fields = ("application__number",)
    change_list_template = "payouts/dashboard/followup_changelist.html"

    @admin.display(description=_("姓名"))
    def worker_name(self, obj: StudyFollowUp) -> str:
        from qiuxue.masking import mask_name

        return mask_name(obj.application.worker.name)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # append-only history: a correction is a new row

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "application":
            scope = union_scope_of(request.user)
            kwargs["queryset"] = (
                Application.objects.in_subtree(scope).filter(status__in=FOLLOWED_STATUSES)
                if scope
                else Application.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Through the service: scope check and audit in one transaction.
        try:
            saved = study_follow_up_record(
                application=form.cleaned_data["application"],
                status=form.cleaned_data["status"],
                school=form.cleaned_data.get("school", ""),
                note=form.cleaned_data.get("note", ""),
                actor=request.user,
            )
        except FollowUpError as exc:
            raise PermissionDenied(str(exc)) from exc
        obj.pk = saved.pk

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="payouts_studyfollowup_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest):
        if not self._may_write(request):
            raise PermissionDenied
        scope = union_scope_of(request.user)
        errors: list[str] = []
        form = FollowUpImportForm(request.POST or None, request.FILES or None, scope=scope)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = follow_up_import(
                    program=form.cleaned_data["program"], name=upload.name, content=upload.read(), actor=request.user
                )
            except FollowUpError as exc:
                errors = exc.errors
            else:
                messages.success(request, _("已导入 %(n)d 条学习跟踪记录。") % {"n": result.written})
                return HttpResponseRedirect(reverse("admin:payouts_studyfollowup_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入学校学籍名单"),
            "form": form,
            "errors": errors,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "payouts/dashboard/followup_import.html", context)
