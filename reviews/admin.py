"""The review admin: the queue, the review page, bulk decisions, the overview.

Interface only: every decision is a call to ``reviews.services``; every queryset is the
signed-in admin's subtree (``UnionScopedAdmin``), drafts excluded.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import Application, ApplicationStatus
from applications.selectors import RETURNABLE_FIELDS, returnable_fields_for
from applications.workflow import event_label
from qiuxue.masking import mask_phone
from quotas.admin_scoping import UnionScopedAdmin
from quotas.models import ProgramStage, Union
from quotas.review_rounds import review_window_for
from quotas.selectors import cofunder_staff_of, union_admin_of

from . import services
from .admin_filters import BatchFilter, QueueFilter, RiskFilter, UnitFilter
from .flag_checks import stored_flags_for
from .forms import ApproveForm, RejectForm, ReturnForm
from .models import ReviewDecision, ReviewOverview
from .paginator import CappedCountPaginator
from .report_check import report_check_for
from .selectors import (
    application_history,
    applications_for_cofunder,
    applications_for_review,
    review_overview,
    review_queue,
)

BULK_LIMIT = 200


def _actor_shown(event, application: Application) -> str:
    if event.actor_id is None:
        return "—"
    if event.actor_id == application.worker.user_id:
        return _("申请人本人（%(phone)s）") % {"phone": application.worker.phone_masked}
    return mask_phone(event.actor.get_username()) if event.actor.get_username().isdigit() else str(event.actor)


class ReviewChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        prefetch_related_objects(self.result_list, "program", "batch__program")
        # The stored flags of the whole page in one query (see reviews.flag_checks).
        stored = stored_flags_for(self.result_list)
        for obj in self.result_list:
            obj.review_flags = stored[obj.pk].flags
            obj.review_flags_pending = stored[obj.pk].pending


class _ReviewScopedAdmin(UnionScopedAdmin):
    """Decisions go through the review pages' services: nothing is added here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


def _with_stage_flag(queryset):
    """Marks the rows of programmes in stages, so the queue says which stage is decided."""
    later = ProgramStage.objects.filter(program_id=OuterRef("program_id"), number__gt=1)
    return queryset.annotate(program_staged=Exists(later))


@admin.register(Application)
class ApplicationReviewAdmin(_ReviewScopedAdmin):
    union_lookup = "worker__union"
    union_path_field = "union_path"
    # Fits 1366 px beside the filters: the ID, phone and school are on the review page.
    list_display = (
        "number",
        "worker_name",
        "unit",
        "level",
        "batch",
        "status",
        "current_step",
        "submitted_at",
        "flags_display",
    )
    list_display_links = ("number", "worker_name")
    list_filter = (
        QueueFilter,
        BatchFilter,
        UnitFilter,
        "level",
        "status",
        "worker__is_migrant",
        "worker__is_public_sector",
        "worker__is_model_worker",
        "worker__is_new_form_worker",
        "is_priority",
        RiskFilter,
    )
    # The programme and batch come by prefetch (ReviewChangeList): joined, they let the
    # planner walk the whole programme index of a province's applications (1.1 s at 2M
    # rows) instead of the submission-time index under the unit filter (54 ms).
    list_select_related = ("worker__union", "current_tier", "cofunder")
    search_fields = ("worker__name",)
    search_help_text = gettext_lazy("按姓名或申请编号查询（不支持身份证号）")
    ordering = ("submitted_at", "id")
    sortable_by = ("number", "submitted_at")
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator
    # Says so when the count stopped at the cap (the figure shown is then a lower bound).
    change_list_template = "admin/reviews/application/change_list.html"
    actions = ("approve_selected", "return_selected", "reject_selected")

    class Media:
        css = {"all": ("reviews/review.css",)}

    # --- scope and permissions ---------------------------------------------------------

    def get_queryset(self, request: HttpRequest):
        admin_ = union_admin_of(request.user)
        if admin_ is None:
            # A university's staff: its own students at (or past) its step, no union tree.
            staff = cofunder_staff_of(request.user)
            if staff is not None:
                return _with_stage_flag(applications_for_cofunder(cofunder=staff.cofunder))
            return Application.objects.none()
        return _with_stage_flag(applications_for_review(union=admin_.union))

    def _reviewer_role(self, request: HttpRequest) -> str | None:
        record = union_admin_of(request.user) or cofunder_staff_of(request.user)
        return record.role if record is not None else None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._reviewer_role(request) is not None

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._reviewer_role(request) is not None and self._in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # "Change" here means "may take review decisions"; no field is ever edited by form.
        return self._reviewer_role(request) in services.REVIEW_ROLES and self._in_scope(request, obj)

    def get_changelist(self, request: HttpRequest, **kwargs):
        return ReviewChangeList

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        if any(ch.isdigit() for ch in term):
            # Application numbers only; an ID number is never a search key (and, stored
            # encrypted, could not be one).
            return queryset.filter(number__startswith=term.upper()), False
        return queryset.filter(worker__name__icontains=term), False

    # --- list columns ----------------------------------------------------------------

    def action_checkbox(self, obj: Application):
        # Django's markup, without rendering a CheckboxInput widget template for each of the
        # 50 rows (a tenth of the page's rendering time).
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            admin.helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    @admin.display(description=gettext_lazy("姓名"), ordering="worker__name")
    def worker_name(self, obj: Application) -> str:
        return obj.worker.name

    @admin.display(description=gettext_lazy("身份证号"))
    def id_masked(self, obj: Application) -> str:
        return obj.worker.id_number_masked

    @admin.display(description=gettext_lazy("手机号"))
    def phone_masked(self, obj: Application) -> str:
        return obj.worker.phone_masked

    @admin.display(description=gettext_lazy("所在工会"))
    def unit(self, obj: Application) -> str:
        return obj.worker.union.name

    @admin.display(description=gettext_lazy("当前审核单位"))
    def current_step(self, obj: Application) -> str:
        # A programme in stages: which stage the reviewer is deciding (``program_staged``
        # is annotated by ``get_queryset``: one EXISTS on a table of a few rows).
        stage = _("第%(n)s阶段 · ") % {"n": obj.stage} if getattr(obj, "program_staged", False) else ""
        if obj.status != ApplicationStatus.IN_REVIEW:
            return stage + (obj.current_tier.name if obj.current_tier_id else "—")
        if obj.current_tier_id is None and obj.cofunder_id is not None:
            return stage + _("%(c)s（高校审核）") % {"c": obj.cofunder.name}
        return stage + (obj.current_tier.name if obj.current_tier_id else "—")

    @admin.display(description=gettext_lazy("风险提示"))
    def flags_display(self, obj: Application):
        flags = getattr(obj, "review_flags", [])
        shown = format_html_join(
            " ", '<span class="rv-flag" title="{}">{}</span>', ((f.detail, f.label) for f in flags)
        )
        if getattr(obj, "review_flags_pending", False):
            return format_html('{} <span class="rv-pending">{}</span>', shown, _("核对中"))
        return shown or "—"

    # --- the review page ---------------------------------------------------------------

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        # The reviewer's record: a union's admin, or a university's staff (co-funder step).
        admin_ = union_admin_of(request.user) or cofunder_staff_of(request.user)
        found = self.get_object(request, unquote(object_id))
        if admin_ is None or found is None:
            raise Http404(_("没有这条申请，或不在您的管辖范围内。"))
        application = (
            Application.objects.select_related(
                "worker__union", "program__owner_union", "batch__program", "current_tier", "cofunder"
            )
            .prefetch_related("program__review_rounds")
            .get(pk=found.pk)
        )
        stored = stored_flags_for([application])[application.pk]
        flags = stored.flags
        application.review_flags_pending = stored.pending  # the page says 核对中
        application.review_membership = stored.membership
        # The checklist of 退回修改 offers this application's own papers only.
        form_kwargs = {
            "approve": {"flags": flags},
            "return": {"returnable": returnable_fields_for(application=application)},
        }
        forms = {
            "approve": ApproveForm(prefix="approve", **form_kwargs["approve"]),
            "return": ReturnForm(prefix="return", **form_kwargs["return"]),
            "reject": RejectForm(prefix="reject"),
        }
        decision_error = ""
        if request.method == "POST":
            if admin_.role not in services.REVIEW_ROLES:
                raise PermissionDenied
            decision = request.POST.get("decision", "")
            if decision not in forms:
                raise PermissionDenied
            form_class = type(forms[decision])
            form = form_class(request.POST, prefix=decision, **form_kwargs.get(decision, {}))
            forms[decision] = form
            if form.is_valid():
                try:
                    self._decide(request, application, decision, form.cleaned_data)
                except services.ReviewRefused as exc:
                    # Shown in the decision panel, beside the form that keeps the input.
                    decision_error = str(exc)
                else:
                    messages.success(request, _("申请 %(n)s 已办理。") % {"n": application})
                    return HttpResponseRedirect(reverse("admin:applications_application_changelist"))
        return TemplateResponse(
            request,
            "admin/reviews/application/review.html",
            {
                **self._review_context(request, admin_, application, flags, forms),
                "decision_error": decision_error,
                "open_decision": request.POST.get("decision", "") if request.method == "POST" else "",
            },
        )

    def _decide(self, request: HttpRequest, application: Application, decision: str, data: dict):
        window = {"override_window": data["override_window"], "override_reason": data["override_reason"]}
        if decision == "approve":
            return services.application_approve(
                application=application,
                reviewer=request.user,
                reason=data["reason"],
                acknowledged_flags=data["acknowledged_flags"],
                **window,
            )
        if decision == "return":
            return services.application_return(
                application=application,
                reviewer=request.user,
                reason=data["reason"],
                fields=data["fields_to_fix"],
                **window,
            )
        return services.application_reject(
            application=application, reviewer=request.user, reason=data["reason"], **window
        )

    def _review_context(self, request, admin_, application, flags, forms) -> dict:
        chain_ids = [int(u) for u in application.review_chain]
        unions = Union.objects.in_bulk(chain_ids)
        in_review = application.status == ApplicationStatus.IN_REVIEW
        my_union = getattr(admin_, "union_id", None)
        chain = [
            {"union": unions.get(pk), "current": pk == application.current_tier_id, "mine": pk == my_union}
            for pk in chain_ids
        ]
        at_cofunder = in_review and application.current_tier_id is None and application.cofunder_id is not None
        if application.cofunder_id is not None:
            # The co-funder step after the union tiers: the university of the school.
            chain.append(
                {
                    "union": application.cofunder,
                    "current": at_cofunder,
                    "mine": application.cofunder_id == getattr(admin_, "cofunder_id", None),
                }
            )
        batch = application.batch
        statuses = dict(ApplicationStatus.choices)
        window = review_window_for(application=application)
        if my_union is None:
            # A university's reviewer acts at its own step only (no overrides, no tiers).
            stranded_here = False
            can_act = (
                admin_.role in services.REVIEW_ROLES and at_cofunder and application.cofunder_id == admin_.cofunder_id
            )
        else:
            # Stranded (every review round over): the programme owner's manager decides the
            # lower tier where it waits, with a reason.
            stranded_here = services.stranded_decidable_by(admin=admin_, application=application)
            can_act = (
                admin_.role in services.REVIEW_ROLES
                and in_review
                and (application.current_tier_id == admin_.union_id or stranded_here)
            )
        # Papers replaced since the last decision on this application get "重新上传".
        last_decision = ReviewDecision.objects.filter(application=application).order_by("-at").first()
        attachments = [
            {
                "obj": a,
                "url": reverse("reviews:attachment_preview", args=[a.pk]),
                "thumb": reverse("reviews:attachment_thumbnail", args=[a.pk]),
                "is_image": a.content_type.startswith("image/"),
                "is_pdf": a.content_type == "application/pdf",
                "replaced": last_decision is not None and a.uploaded_at > last_decision.at,
            }
            for a in application.attachments.filter(is_current=True).order_by("kind")
        ]
        # Each flag names the other applications; a link only where this reviewer may look.
        other_pks = {o.pk for f in flags for o in f.others if o.pk}
        visible = set(self.get_queryset(request).filter(pk__in=other_pks).values_list("pk", flat=True))
        flag_rows = [
            {
                "flag": f,
                "others": [
                    {
                        "o": o,
                        "url": reverse("admin:applications_application_change", args=[o.pk]) if o.pk in visible else "",
                    }
                    for o in f.others
                ],
            }
            for f in flags
        ]
        next_pk = (
            review_queue(self.get_queryset(request), user=request.user, queue="mine")
            .exclude(pk=application.pk)
            .filter(
                Q(submitted_at__gt=application.submitted_at)
                | Q(submitted_at=application.submitted_at, pk__gt=application.pk)
            )
            .order_by("submitted_at", "id")
            .values_list("pk", flat=True)
            .first()
            if application.submitted_at
            else None
        )
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            "title": _("审核：%(n)s") % {"n": application},
            "original": application,
            "application": application,
            "report_check": report_check_for(application),  # issue 19: _report_check.html
            "worker": application.worker,
            "flags": flags,
            "flag_rows": flag_rows,
            # _membership.html: stored with the flags (reviews.flag_checks); a draft has none.
            "membership": application.review_membership,
            "attachments": attachments,
            "next_url": reverse("admin:applications_application_change", args=[next_pk]) if next_pk else "",
            "events": [
                {
                    "obj": e,
                    "action": event_label(e),
                    "from": statuses.get(e.from_status, e.from_status),
                    "to": statuses.get(e.to_status, e.to_status),
                    # A university's decision has no union tier: its name is in the detail.
                    "tier_name": e.tier.name if e.tier_id else (e.detail or {}).get("tier_name", ""),
                    # The worker's account name is the phone number: masked as everywhere.
                    "actor": _actor_shown(e, application),
                }
                for e in application_history(application=application)
            ],
            "chain": chain,
            "can_act": can_act,
            "forms": forms,
            "batch": batch,
            "window": window,
            "window_closed": not window.is_open,
            "in_review": application.status == ApplicationStatus.IN_REVIEW,
            "stranded_here": stranded_here,
            "at_cofunder": at_cofunder,
            "may_override": my_union is not None
            and services.window_override_allowed(admin=admin_, application=application),
            # The overview is the union tree's; a university's staff has its queue instead.
            "overview_url": reverse("admin:reviews_reviewoverview_changelist") if my_union is not None else "",
        }

    # --- bulk actions ------------------------------------------------------------------

    @admin.action(description=gettext_lazy("批量通过所选申请"), permissions=["change"])
    def approve_selected(self, request, queryset):
        return self._bulk(request, queryset, "approve")

    @admin.action(description=gettext_lazy("批量退回修改所选申请"), permissions=["change"])
    def return_selected(self, request, queryset):
        return self._bulk(request, queryset, "return")

    @admin.action(description=gettext_lazy("批量驳回所选申请"), permissions=["change"])
    def reject_selected(self, request, queryset):
        return self._bulk(request, queryset, "reject")

    def _bulk(self, request, queryset, kind: str):
        # ``queryset`` is already this admin's subtree: forged ids from elsewhere are not in it.
        selected = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        apps = list(
            queryset.select_related("worker__union", "program", "batch__program", "current_tier").order_by(
                "submitted_at", "id"
            )[: BULK_LIMIT + 1]
        )
        if len(apps) > BULK_LIMIT:
            messages.error(request, _("一次最多批量办理 %(n)d 件。") % {"n": BULK_LIMIT})
            return None
        flags = {pk: s.flags for pk, s in stored_flags_for(apps).items()}
        form_class = {"approve": ApproveForm, "return": ReturnForm, "reject": RejectForm}[kind]
        kwargs = {}
        if kind == "return":
            # The papers of the selected applications' programmes, no other; each item is
            # checked again against its own programme by the service.
            offered = set().union(*(returnable_fields_for(application=a) for a in apps)) if apps else set()
            kwargs["returnable"] = {k: v for k, v in RETURNABLE_FIELDS.items() if k in offered}
        form = form_class(request.POST, **kwargs) if request.POST.get("confirm") == "yes" else form_class(**kwargs)
        if request.POST.get("confirm") == "yes" and form.is_valid():
            data = form.cleaned_data
            window = {"override_window": data["override_window"], "override_reason": data["override_reason"]}
            if kind == "approve":
                acks = {a.pk: request.POST.getlist(f"ack_{a.pk}") for a in apps}
                results = services.applications_bulk_approve(
                    applications=apps, reviewer=request.user, reason=data["reason"], acknowledged_flags=acks, **window
                )
            elif kind == "return":
                results = services.applications_bulk_return(
                    applications=apps,
                    reviewer=request.user,
                    reason=data["reason"],
                    fields=data["fields_to_fix"],
                    **window,
                )
            else:
                results = services.applications_bulk_reject(
                    applications=apps, reviewer=request.user, reason=data["reason"], **window
                )
            return TemplateResponse(
                request,
                "admin/reviews/application/bulk_result.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "title": _("批量办理结果"),
                    "results": results,
                    "ok_count": sum(r.ok for r in results),
                    "refused_count": sum(not r.ok for r in results),
                    "ignored_count": max(0, len(set(selected)) - len(apps)),
                },
            )
        rows = [{"app": a, "flags": flags[a.pk]} for a in apps]
        return TemplateResponse(
            request,
            "admin/reviews/application/bulk_confirm.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": {
                    "approve": _("批量通过"),
                    "return": _("批量退回修改"),
                    "reject": _("批量驳回"),
                }[kind],
                "kind": kind,
                "rows": rows,
                "form": form,
                "action_name": request.POST.get("action", ""),
                "ignored_count": max(0, len(set(selected)) - len(apps)),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(ReviewOverview)
class ReviewOverviewAdmin(_ReviewScopedAdmin):
    """The overview page: pending per tier and unit, overdue against the review window."""

    union_lookup = "worker__union"
    union_path_field = "union_path"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        from django.urls import path

        info = self.model._meta.app_label, self.model._meta.model_name
        return [path("", self.admin_site.admin_view(self.changelist_view), name="{}_{}_changelist".format(*info))]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        admin_ = union_admin_of(request.user)
        if admin_ is None:
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/reviews/overview.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("审核进度总览：%(u)s") % {"u": admin_.union},
                "union": admin_.union,
                "overview": review_overview(union=admin_.union),
                "queue_url": reverse("admin:applications_application_changelist"),
            },
        )


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(_ReviewScopedAdmin):
    union_lookup = "application__worker__union"
    union_path_field = "application__union_path"
    list_display = ("at", "application", "tier_union", "reviewer", "decision", "window_override")
    list_filter = ("decision", "window_override")
    list_select_related = ("application", "tier_union", "reviewer")
    search_fields = ("application__number",)
    show_full_result_count = False
    readonly_fields = (
        "application",
        "tier_union",
        "reviewer",
        "decision",
        "reason",
        "return_fields",
        "flags_acknowledged",
        "window_override",
        "override_reason",
        "at",
    )
    fields = readonly_fields

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(application__number__startswith=term.upper()), False
