"""Changelist filters of the review queue. Each one costs at most one small query."""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quotas.models import Batch, Union
from quotas.selectors import cofunder_staff_of, union_admin_of

from .flag_checks import CHECK_PENDING, FLAGGED
from .flag_types import FLAG_LABELS
from .models import FlagCheckState
from .selectors import review_queue


class QueueFilter(admin.SimpleListFilter):
    """The default view is "my queue": applications waiting at my own tier. The other
    choices show the rest of the subtree's process, read-only."""

    title = _("审核队列")
    parameter_name = "queue"
    default = "mine"

    def lookups(self, request, model_admin):
        return [
            ("mine", _("待本级审核")),
            ("resubmitted", _("退回后重新提交")),
            ("stranded", _("审核期已过未办结")),
            ("below", _("下级审核中")),
            ("above", _("已报上级审核")),
            ("returned", _("退回修改中")),
            ("decided", _("已办结")),
            ("all", _("全部（含历史）")),
        ]

    def value(self):
        return super().value() or self.default

    def queryset(self, request, queryset):
        return review_queue(queryset, user=request.user, queue=self.value())

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


class RiskFilter(admin.SimpleListFilter):
    """The stored risk flags (``reviews.flag_checks``): any flag, one kind, or 核对中."""

    title = _("风险提示")
    parameter_name = "risk"
    ANY, NONE, PENDING = "any", "none", "pending"

    def lookups(self, request, model_admin):
        return [
            (self.ANY, _("有风险提示")),
            (self.NONE, _("无风险提示")),
            (self.PENDING, _("核对中")),
            *((code, label) for code, label in FLAG_LABELS.items()),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == self.ANY:
            return queryset.filter(FLAGGED)
        if value == self.NONE:
            return queryset.filter(flag_check__flag_count=0, flag_check__state=FlagCheckState.DONE)
        if value == self.PENDING:
            return queryset.filter(CHECK_PENDING)
        if value in FLAG_LABELS:
            return queryset.filter(flag_check__codes__contains=f"|{value}|")
        return queryset.none()
