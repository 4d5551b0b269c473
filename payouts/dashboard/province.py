"""The province view: a union above several programme owners (山东省总工会 above 济南 and
临沂) compares their programmes side by side: applications, approved, awarded, paid and
yuan, per programme (city) and per funding source.

Four queries whatever the number of cities: the sources; the applications grouped by
programme; the awards grouped by source and status; the people with a live award per
programme (an application funded by two sources, province + city money, is one person). Sources are
counted generically (one line per ``FundingSource``), so a new top-up source shows up
without a change here.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from applications.models import Application, ApplicationStatus
from payouts.models import AWARD_ENDED_STATUSES, Award, AwardStatus
from quotas.models import FundingSource, Program, Union

S = ApplicationStatus


@dataclass
class SourceLine:
    source: FundingSource
    awarded: int = 0
    yuan: int = 0
    paid: int = 0
    paid_yuan: int = 0


@dataclass
class ProgramLine:
    program: Program
    applications: int = 0
    in_review: int = 0
    approved: int = 0
    paid: int = 0
    awarded: int = 0  # people with a live award
    sources: list[SourceLine] = field(default_factory=list)

    @property
    def yuan(self) -> int:
        return sum(s.yuan for s in self.sources)

    @property
    def paid_yuan(self) -> int:
        return sum(s.paid_yuan for s in self.sources)


@dataclass
class ProvinceComparison:
    scope: Union
    lines: list[ProgramLine]

    @property
    def totals(self) -> dict[str, int]:
        keys = ("applications", "in_review", "approved", "awarded", "paid", "yuan", "paid_yuan")
        return {k: sum(getattr(line, k) for line in self.lines) for k in keys}


def programs_below(*, scope: Union, programs: list[Program]) -> list[Program]:
    """The programmes run by unions strictly under the viewer: what a province compares."""
    return [p for p in programs if p.owner_union.path.startswith(scope.path) and p.owner_union_id != scope.pk]


def province_comparison(*, scope: Union, programs: list[Program], year: int | None = None) -> ProvinceComparison:
    programs = [p for p in programs_below(scope=scope, programs=programs) if year is None or p.year == year]
    ids = [p.pk for p in programs]
    lines = {p.pk: ProgramLine(program=p) for p in programs}
    counts = (
        Application.objects.filter(program_id__in=ids)
        .values("program_id")
        .annotate(
            applications=Count("id", filter=Q(submitted_at__isnull=False)),
            in_review=Count("id", filter=Q(status=S.IN_REVIEW)),
            approved=Count("id", filter=Q(status__in=[S.APPROVED, S.PAID])),
            paid=Count("id", filter=Q(status=S.PAID)),
        )
        .order_by()
    )
    for row in counts:
        line = lines[row["program_id"]]
        line.applications, line.in_review = row["applications"], row["in_review"]
        line.approved, line.paid = row["approved"], row["paid"]
    by_source: dict[int, SourceLine] = {}
    sources = FundingSource.objects.filter(program_id__in=ids).select_related("payer_union", "matching_of")
    for source in sources.order_by("program_id", "position", "id"):
        by_source[source.pk] = SourceLine(source=source)
        lines[source.program_id].sources.append(by_source[source.pk])
    money = (
        Award.objects.filter(source__program_id__in=ids)
        .values("source_id", "status")
        .annotate(n=Count("id"), yuan=Sum("amount_yuan"))
        .order_by()
    )
    for row in money:
        line = by_source[row["source_id"]]
        if row["status"] not in AWARD_ENDED_STATUSES:
            line.awarded += row["n"]
            line.yuan += row["yuan"] or 0
        if row["status"] == AwardStatus.PAID:
            line.paid += row["n"]
            line.paid_yuan += row["yuan"] or 0
    people = (
        Award.objects.live()
        .filter(source__program_id__in=ids)
        .values("source__program_id")
        .annotate(n=Count("application_id", distinct=True))
        .order_by()
    )
    for row in people:
        lines[row["source__program_id"]].awarded = row["n"]
    ordered = sorted(lines.values(), key=lambda line: (-line.program.year, line.program.owner_union.path))
    return ProvinceComparison(scope=scope, lines=ordered)


def source_rows(comparison: ProvinceComparison) -> list[tuple[ProgramLine, SourceLine]]:
    """(programme, source) pairs for the per-source table."""
    return [(line, s) for line in comparison.lines for s in line.sources]
