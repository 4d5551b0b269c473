"""Changelist filters of the review queue. Each one costs at most one small query."""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications.models import ApplicationStatus
from quotas.models import Batch, Union
from quotas.selectors import cofunder_staff_of, union_admin_of

DECIDED = (
    ApplicationStatus.APPROVED,
    ApplicationStatus.REJECTED,
    ApplicationStatus.PAID,
    ApplicationStatus.REVOKED,
    ApplicationStatus.WITHDRAWN,
    # Programmes in stages: a stage passed (the worker's turn now) and a lapsed claim.
    ApplicationStatus.STAGE_PASSED,
    ApplicationStatus.LAPSED,
)


class QueueFilter(admin.SimpleListFilter):
    """The default view is "my queue": applications waiting at my own tier. The other
    choices show the rest of the subtree's process, read-only."""

    title = _("审核队列")
    parameter_name = "queue"
    default = "mine"

    def lookups(self, request, model_admin):
        return [
            ("mine", _("待本级审核")),
            ("below", _("下级审核中")),
            ("above", _("已报上级审核")),
            ("returned", _("退回修改中")),
            ("decided", _("已办结")),
            ("all", _("全部（含历史）")),
        ]

    def value(self):
        return super().value() or self.default

    def queryset(self, request, queryset):
        admin_ = union_admin_of(request.user)
        in_review = Q(status=ApplicationStatus.IN_REVIEW)
        value = self.value()
        if admin_ is None:
            if cofunder_staff_of(request.user) is None:
                return queryset.none()
            # A university's queue (already its own students past the union tiers): "mine"
            # is the co-funder step; nothing is below or above it.
            if value == "mine":
                return queryset.filter(in_review, current_tier__isnull=True)
            if value in ("below", "above"):
                return queryset.none()
            if value == "returned":
                return queryset.filter(status=ApplicationStatus.RETURNED)
            if value == "decided":
                return queryset.filter(status__in=DECIDED)
            return queryset
        union = admin_.union
        if value == "mine":
            return queryset.filter(in_review, current_tier_id=union.pk)
        if value == "below":
            return queryset.filter(in_review, current_tier__path__startswith=union.path).exclude(
                current_tier_id=union.pk
            )
        if value == "above":
            return queryset.filter(in_review).exclude(current_tier__path__startswith=union.path)
        if value == "returned":
            return queryset.filter(status=ApplicationStatus.RETURNED)
        if value == "decided":
            return queryset.filter(status__in=DECIDED)
        return queryset

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class UnitFilter(admin.SimpleListFilter):
    """The direct child units of my union (counties for the city, townships for a county…)."""

    title = _("下级单位")
    parameter_name = "unit"

    def lookups(self, request, model_admin):
        admin_ = union_admin_of(request.user)
        if admin_ is None:
            return []
        return list(Union.objects.filter(parent=admin_.union).order_by("path").values_list("pk", "name"))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        admin_ = union_admin_of(request.user)
        if admin_ is None or not str(self.value()).isdigit():
            return queryset.none()
        unit = Union.objects.filter(parent=admin_.union, pk=int(self.value())).first()
        if unit is None:
            return queryset.none()
        return queryset.in_subtree(unit)


class BatchFilter(admin.SimpleListFilter):
    """Batches of programmes run by my union, by one above it or by one below it."""

    title = _("批次")
    parameter_name = "batch"

    def lookups(self, request, model_admin):
        admin_ = union_admin_of(request.user)
        if admin_ is None:
            staff = cofunder_staff_of(request.user)
            if staff is None:
                return []
            batches = Batch.objects.filter(program_id=staff.cofunder.program_id).select_related("program")
            return [(b.pk, str(b)) for b in batches.order_by("number")]
        union = admin_.union
        batches = (
            Batch.objects.filter(
                Q(program__owner_union__path__in=union.ancestor_paths())
                | Q(program__owner_union__path__startswith=union.path)
            )
            .select_related("program")
            .order_by("-program__year", "program__name", "number")
        )
        return [(b.pk, str(b)) for b in batches]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if not str(self.value()).isdigit():
            return queryset.none()
        return queryset.filter(batch_id=int(self.value()))
