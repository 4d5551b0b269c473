"""Admin of publicity periods and objections. Writes go through the publicity services:
open a period (a small form), and decide an objection (uphold or dismiss, with a note)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qiuxue.masking import mask_name, mask_phone
from quotas.admin_scoping import ReadOnlyMixin, UnionScopedAdmin
from quotas.permissions import may_decide_objection, may_open_publicity, programs_permitted

from ..models import Objection, ObjectionStatus, Publicity
from ..publicity.services import objection_dismiss, objection_phone_reveal, objection_uphold, publicity_open
from .program_batch import program_batch_page


@admin.register(Publicity)
class PublicityAdmin(ReadOnlyMixin, UnionScopedAdmin):
    union_lookup = "program__owner_union"
    list_display = ("title", "batch", "starts_at", "ends_at", "status", "people", "pending_objections", "public_link")
    list_filter = ("status", "program")
    readonly_fields = ("program", "batch", "title", "starts_at", "ends_at", "published_by", "status", "closed_at")
    change_list_template = "payouts/publicity/admin_change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("program", "batch")
            .annotate(
                n_people=Count("entries", distinct=True),
                n_pending=Count("objections", filter=Q(objections__status=ObjectionStatus.PENDING), distinct=True),
            )
        )

    @admin.display(description=gettext_lazy("公示人数"))
    def people(self, obj: Publicity) -> int:
        return obj.n_people

    @admin.display(description=gettext_lazy("待处理异议"))
    def pending_objections(self, obj: Publicity) -> int:
        return obj.n_pending

    @admin.display(description=gettext_lazy("公示页面"))
    def public_link(self, obj: Publicity) -> str:
        return format_html(
            '<a href="{}" target="_blank">{}</a>', reverse("payouts:publicity_public", args=[obj.pk]), _("查看")
        )

    def changelist_view(self, request, extra_context=None):
        may_open = bool(programs_permitted(user=request.user, check=may_open_publicity))
        return super().changelist_view(request, {**(extra_context or {}), "may_open": may_open})

    def get_urls(self):
        return [
            path("open/", self.admin_site.admin_view(self.open_view), name="payouts_publicity_open"),
            *super().get_urls(),
        ]

    def open_view(self, request: HttpRequest) -> HttpResponse:
        return program_batch_page(
            self,
            request,
            service=publicity_open,
            permission=may_open_publicity,
            title=_("发布公示"),
            template="payouts/publicity/admin_open.html",
            success=lambda publicity: _("已发布公示：%(title)s") % {"title": publicity.title},
            done_url="admin:payouts_publicity_changelist",
        )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("处理结果"),
        choices=[
            (ObjectionStatus.UPHELD, gettext_lazy("异议成立：取消其补助资格")),
            (ObjectionStatus.DISMISSED, gettext_lazy("异议不成立")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=gettext_lazy("处理意见"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyMixin, UnionScopedAdmin):
    union_lookup = "publicity__program__owner_union"
    list_display = ("created_at", "publicity", "applicant", "contact_name", "phone", "status", "decided_at")
    list_filter = ("status",)
    readonly_fields = (
        "publicity",
        "applicant",
        "application_number",
        "contact_name",
        "phone",
        "reason",
        "status",
        "decided_by",
        "decision_note",
        "created_at",
        "decided_at",
    )
    fields = readonly_fields
    change_form_template = "payouts/publicity/objection_change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("publicity", "application__worker", "decided_by")

    @admin.display(description=gettext_lazy("被异议人"))
    def applicant(self, obj: Objection) -> str:
        return mask_name(obj.application.worker.name)

    @admin.display(description=gettext_lazy("申请编号"))
    def application_number(self, obj: Objection) -> str:
        return str(obj.application)

    @admin.display(description=gettext_lazy("联系电话"))
    def phone(self, obj: Objection) -> str:
        return mask_phone(obj.contact_phone)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        objection = self.get_object(request, object_id)
        permit = may_decide_objection(user=request.user, objection=objection) if objection is not None else None
        extra = {
            "decision_form": DecisionForm(),
            "may_decide": bool(permit),
            # Staff who may see but not decide are told who decides.
            "decide_refusal": permit.reason if permit is not None else "",
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_urls(self):
        return [
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="payouts_objection_decide"),
            path("<int:pk>/phone/", self.admin_site.admin_view(self.phone_view), name="payouts_objection_phone"),
            *super().get_urls(),
        ]

    def phone_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """显示完整号码: a POST (so a link, a prefetch or a reload never reveals it unaudited)."""
        objection = get_object_or_404(self.get_queryset(request), pk=pk)
        target = reverse("admin:payouts_objection_change", args=[objection.pk])
        if request.method != "POST":
            return redirect(target)
        try:
            phone = objection_phone_reveal(objection=objection, actor=request.user)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return redirect(target)
        context = {
            **self.admin_site.each_context(request),
            "title": _("异议人联系电话"),
            "objection": objection,
            "phone": phone,
            "back": target,
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "payouts/publicity/objection_phone.html", context)
        response["Cache-Control"] = "no-store"  # personal data: never from a cache
        return response

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        objection = get_object_or_404(self.get_queryset(request), pk=pk)
        target = reverse("admin:payouts_objection_change", args=[objection.pk])
        permit = may_decide_objection(user=request.user, objection=objection)
        if request.method != "POST" or not permit:
            if not permit:
                self.message_user(request, permit.reason, messages.ERROR)
            return redirect(target)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, _("请选择处理结果并填写处理意见。"), messages.ERROR)
            return redirect(target)
        decide = objection_uphold if form.cleaned_data["decision"] == ObjectionStatus.UPHELD else objection_dismiss
        try:
            decide(objection=objection, actor=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            self.message_user(request, "；".join(exc.messages), messages.ERROR)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, _("异议已处理。"), messages.SUCCESS)
        return redirect(target)
