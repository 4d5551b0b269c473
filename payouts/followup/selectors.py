"""Reads for the study follow-up: the current state of each awarded worker, counted per unit."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Substr

from applications.models import Application, ApplicationStatus
from payouts.dashboard.selectors import unit_path_length
from payouts.models import StudyFollowUp, StudyStatus
from quotas.models import Program, Quota, Union

# Who is followed up: workers whose subsidy was approved (paid or about to be).
FOLLOWED_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.PAID)
NOT_RECORDED = "none"


def latest_follow_up_status():
    """Subquery: the status of an application's latest follow-up row (current state)."""
    return Subquery(
        StudyFollowUp.objects.filter(application=OuterRef("pk")).order_by("-recorded_at", "-id").values("status")[:1]
    )


@dataclass
class FollowUpRow:
    name: str
    position: int = 0
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def follow_up_counts(*, program: Program, scope: Union) -> tuple[list[FollowUpRow], FollowUpRow]:
    """Per unit: how many followed workers are studying, graduated, dropped out, suspended,
    or not yet recorded. Two aggregate queries plus the unit names."""
    length = unit_path_length(program)
    rows = (
        Application.objects.in_subtree(scope)
        .filter(program=program, status__in=FOLLOWED_STATUSES)
        .annotate(unit=Substr("union_path", 1, length), current=latest_follow_up_status())
        .values("unit", "current")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_unit: dict[str, FollowUpRow] = {}
    for row in rows:
        unit = by_unit.setdefault(row["unit"], FollowUpRow(name=""))
        unit.counts[row["current"] or NOT_RECORDED] += row["n"]
    names = dict(Union.objects.filter(path__in=list(by_unit)).values_list("path", "name"))
    positions = dict(
        Quota.objects.filter(source__program=program, union__path__in=list(by_unit))
        .filter(~Q(union=None))
        .values_list("union__path", "position")
    )
    for path, unit in by_unit.items():
        unit.name = names.get(path, path)
        unit.position = positions.get(path, 10_000)
    ordered = sorted(by_unit.values(), key=lambda u: (u.position, u.name))
    total = FollowUpRow(name="合计")
    for unit in ordered:
        for status, n in unit.counts.items():
            total.counts[status] += n
    return ordered, total


FOLLOW_UP_COLUMNS = [(s.value, str(s.label)) for s in StudyStatus] + [(NOT_RECORDED, "未跟踪")]
