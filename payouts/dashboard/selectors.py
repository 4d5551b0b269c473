"""The city dashboard's figures, in a fixed number of aggregate queries.

Every figure is computed in the database (GROUP BY with conditional counts) and every
query is filtered to the viewer's subtree (``union_path__startswith``), so the
page costs the same ten-odd queries for 100 applications or 100,000.

A *unit* is a row of the quota table: the union directly under the programme's owner
(a county federation, an industry union, the city-organs committee...). Its path is a
prefix of every worker path below it, so grouping by ``Substr(path, 1, n)`` buckets each
application to its unit without a join per row. A county admin also gets the level under
the county the same way (two more queries).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone

from applications.models import Application, ApplicationStatus, SeatStatus
from applications.selectors import seat_capacity_of
from payouts.models import AWARD_ENDED_STATUSES, AllocationRun, Award, AwardStatus, AwardVia
from quotas.models import COFUNDER_TIER, PATH_SEGMENT_WIDTH, AllocationMode, Batch, FundingSource, Program, Quota, Union
from quotas.quota_tables.matching import POOL_LABEL
from quotas.selectors import TIER_LEVELS

S = ApplicationStatus
SEGMENT = PATH_SEGMENT_WIDTH + 1

TIER_LABELS = {
    "grassroots": "基层工会",
    "township": "乡镇（街道）工会",
    "county": "县区/产业工会",
    "city": "市总工会",
    "province": "省总工会",
    COFUNDER_TIER: "高校",
}


def _yuan_by_status() -> defaultdict:
    return defaultdict(int)


def _money_map() -> defaultdict:
    # Module-level factories (no lambdas inside): the stats pickle into the cache.
    return defaultdict(_yuan_by_status)


@dataclass
class UnitRow:
    path: str
    name: str = ""
    union_id: int | None = None
    position: int = 0
    quota_slots: int | None = None
    quota_used: int = 0
    drafts: int = 0
    applications: int = 0
    in_review: int = 0
    by_tier: dict[str, int] = field(default_factory=dict)
    returned: int = 0
    rejected: int = 0
    approved: int = 0
    awarded: int = 0
    waitlisted: int = 0
    paid: int = 0
    # {source_id: {award status: yuan}}
    money: dict[int, dict[str, int]] = field(default_factory=_money_map)

    @property
    def money_live_yuan(self) -> int:
        return sum(v for st in self.money.values() for k, v in st.items() if k not in AWARD_ENDED_STATUSES)

    @property
    def money_paid_yuan(self) -> int:
        return sum(st.get(AwardStatus.PAID, 0) for st in self.money.values())

    def live_yuan(self, source_id: int) -> int:
        return sum(v for k, v in self.money.get(source_id, {}).items() if k not in AWARD_ENDED_STATUSES)


@dataclass
class TierBacklog:
    union_name: str
    level: str
    pending: int
    review_closes: datetime | None
    oldest_submitted: datetime | None

    def days_left(self, now: datetime) -> int | None:
        if self.review_closes is None:
            return None
        return (timezone.localdate(self.review_closes) - timezone.localdate(now)).days


@dataclass
class QuotaBar:
    """One line of the quota-use table: slots, live awards and approvals, as widths in %."""

    name: str
    slots: int
    used: int
    approved: int
    units: int = 1  # more than one on the "其他" line

    @property
    def used_pct(self) -> int:
        return min(100, round(100 * self.used / self.slots)) if self.slots else 0

    @property
    def approved_pct(self) -> int:
        return min(100, round(100 * self.approved / self.slots)) if self.slots else 0

    @property
    def left(self) -> int:
        return max(self.slots - self.used, 0)


@dataclass
class SeatSummary:
    """An at-submission programme (提交即占名额): places taken and left, and the waiting list."""

    capacity: int | None
    placed: int
    waitlisted: int
    # (day, submissions that took a place, submissions put on the waiting list), by submission day
    per_day: list[tuple[date, int, int]]

    @property
    def left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.placed, 0)

    @property
    def placed_pct(self) -> int:
        return min(100, round(100 * self.placed / self.capacity)) if self.capacity else 0


QUOTA_BARS_TOP = 15


@dataclass
class DashboardStats:
    program: Program
    batch: Batch | None
    scope: Union
    tiers: list[str]
    sources: list[FundingSource]
    units: list[UnitRow]
    totals: UnitRow
    # {source_id: {status: (count, yuan)}}
    money_by_source: dict[int, dict[str, tuple[int, int]]]
    per_day: list[tuple[date, int]]
    backlog: list[TierBacklog]
    # For a viewer at a unit or below (a county admin): the unions one level under it
    # (townships, grassroots unions), busiest first. Empty for the city.
    breakdown: list[UnitRow] = field(default_factory=list)
    # The quota table's 机动/统筹 line (全市调剂名额), when the viewer is at or above the owner.
    pool: UnitRow | None = None
    seats: SeatSummary | None = None

    def quota_bars(self, *, top: int = QUOTA_BARS_TOP) -> list[QuotaBar]:
        """The units with a quota, most slots first; after ``top`` lines one "其他" line
        sums the rest, so 57 units read at a glance. The pool is its own line, last."""
        rows = sorted(
            (u for u in self.units if u.quota_slots is not None), key=lambda u: (-u.quota_slots, -u.quota_used, u.name)
        )
        bars = [QuotaBar(u.name, u.quota_slots, u.quota_used, u.approved) for u in rows[:top]]
        rest = rows[top:]
        if rest:
            bars.append(
                QuotaBar(
                    f"其他{len(rest)}个单位",
                    sum(u.quota_slots for u in rest),
                    sum(u.quota_used for u in rest),
                    sum(u.approved for u in rest),
                    units=len(rest),
                )
            )
        if self.pool is not None:
            bars.append(QuotaBar(self.pool.name, self.pool.quota_slots or 0, self.pool.quota_used, 0))
        return bars

    @property
    def funnel(self) -> list[tuple[str, int]]:
        t = self.totals
        return [
            ("草稿", t.drafts + t.applications),
            ("已提交", t.applications),
            ("终审通过", t.approved),
            ("获得补助", t.awarded),
            ("已发放", t.paid),
        ]

    @property
    def tier_labels(self) -> list[str]:
        return [TIER_LABELS.get(t, t) for t in self.tiers]

    def table_rows(self) -> list[tuple[UnitRow, list[int], list[int]]]:
        """(unit, pending per tier, live yuan per source) for the template, 合计 last."""
        return [
            (u, [u.by_tier.get(t, 0) for t in self.tiers], [u.live_yuan(s.pk) for s in self.sources])
            for u in [*self.units, *([self.pool] if self.pool else []), self.totals]
        ]

    def breakdown_rows(self) -> list[tuple[UnitRow, list[int]]]:
        """(union under the viewer, pending per tier) for the template."""
        return [(u, [u.by_tier.get(t, 0) for t in self.tiers]) for u in self.breakdown]

    @property
    def award_status_labels(self) -> list[str]:
        """The source table's columns: every award status, in the order of ``source_rows``."""
        return [str(label) for label in AwardStatus.labels]

    def source_rows(self) -> list[tuple[FundingSource, list[tuple[int, int]]]]:
        """Per source: (count, yuan) for each award status, in AwardStatus order."""
        return [
            (s, [self.money_by_source.get(s.pk, {}).get(st, (0, 0)) for st in AwardStatus.values]) for s in self.sources
        ]


def programs_visible_to(*, scope: Union) -> QuerySet[Program]:
    """Programmes run above the viewer (the city's) or inside its subtree."""
    return Program.objects.filter(
        Q(owner_union__path__in=scope.ancestor_paths()) | Q(owner_union__path__startswith=scope.path)
    ).select_related("owner_union")


def unit_path_length(program: Program) -> int:
    return (program.owner_union.depth + 2) * SEGMENT


def _applications(*, program: Program, batch: Batch | None, scope: Union) -> QuerySet[Application]:
    qs = Application.objects.in_subtree(scope).filter(program=program)
    return qs.filter(batch=batch) if batch is not None else qs


def _awards(*, program: Program, batch: Batch | None, scope: Union) -> QuerySet[Award]:
    qs = Award.objects.filter(source__program=program, application__union_path__startswith=scope.path)
    return qs.filter(batch=batch) if batch is not None else qs


def dashboard_stats(*, program: Program, scope: Union, batch: Batch | None = None) -> DashboardStats:
    length = unit_path_length(program)
    tiers = list(program.review_tiers or [])
    apps = _applications(program=program, batch=batch, scope=scope)
    units: dict[str, UnitRow] = {}

    def unit(path: str) -> UnitRow:
        return units.setdefault(path, UnitRow(path=path))

    # An approved application without an award after a finished allocation run is on the
    # waiting list; before any run it is simply not allocated yet.
    allocated = AllocationRun.objects.filter(
        program=program, dry_run=False, status=AllocationRun.Status.DONE
    ).exists()  # query 1
    live_award = Award.objects.filter(application=OuterRef("pk")).live()
    tier_counts = {
        f"tier_{t}": Count("id", filter=Q(status=S.IN_REVIEW, current_tier__level__in=TIER_LEVELS.get(t, (t,))))
        for t in tiers
        if t != COFUNDER_TIER
    }
    if COFUNDER_TIER in tiers:
        # The university step holds no union tier (``Application.cofunder``).
        tier_counts[f"tier_{COFUNDER_TIER}"] = Count(
            "id", filter=Q(status=S.IN_REVIEW, current_tier__isnull=True, cofunder__isnull=False)
        )
    waitlisted = Q(seat_status=SeatStatus.WAITLISTED)
    if allocated:
        waitlisted |= Q(status=S.APPROVED, has_award=False)

    def counted_by_prefix(prefix_length: int):
        return (
            apps.annotate(unit=Substr("union_path", 1, prefix_length), has_award=Exists(live_award))
            .values("unit")
            .annotate(
                drafts=Count("id", filter=Q(status=S.DRAFT)),
                applications=Count("id", filter=Q(submitted_at__isnull=False)),
                in_review=Count("id", filter=Q(status=S.IN_REVIEW)),
                returned=Count("id", filter=Q(status=S.RETURNED)),
                rejected=Count("id", filter=Q(status=S.REJECTED)),
                approved=Count("id", filter=Q(status__in=[S.APPROVED, S.PAID])),
                awarded=Count("id", filter=Q(has_award=True)),
                waitlisted=Count("id", filter=waitlisted),
                paid=Count("id", filter=Q(status=S.PAID)),
                **tier_counts,
            )
            .order_by()
        )

    for row in counted_by_prefix(length):  # query 2
        _counts_fill(unit(row["unit"]), row, tiers)

    breakdown: list[UnitRow] = []
    sub_length = (scope.depth + 2) * SEGMENT  # the paths of the viewer's children
    if sub_length > length:  # the viewer is a unit or below it
        subs = {
            row["unit"]: _counts_fill(UnitRow(path=row["unit"]), row, tiers) for row in counted_by_prefix(sub_length)
        }
        for u_ in Union.objects.filter(path__in=list(subs)).values("id", "path", "name"):  # county only
            subs[u_["path"]].name, subs[u_["path"]].union_id = u_["name"], u_["id"]
        breakdown = sorted(subs.values(), key=lambda u: (-u.applications, -u.drafts, u.name))

    money_by_source: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    money_rows = (
        _awards(program=program, batch=batch, scope=scope)
        .annotate(unit=Substr("application__union_path", 1, length))
        .values("unit", "source_id", "status", "via")
        .annotate(n=Count("id"), yuan=Sum("amount_yuan"))
        .order_by()
    )  # query 3
    pool_used: dict[int, int] = defaultdict(int)  # {source_id: live awards from the pool}
    for row in money_rows:
        if row["via"] == AwardVia.POOL and row["status"] not in AWARD_ENDED_STATUSES:
            pool_used[row["source_id"]] += row["n"]
        unit(row["unit"]).money[row["source_id"]][row["status"]] += row["yuan"] or 0
        n, yuan = money_by_source[row["source_id"]].get(row["status"], (0, 0))
        money_by_source[row["source_id"]][row["status"]] = (n + row["n"], yuan + (row["yuan"] or 0))

    # Approved sources only: a top-up waiting for the owner's consent pays nobody yet.
    sources = list(FundingSource.objects.filter(program=program, approval="approved").order_by("position", "id"))  # q4
    # The quota table's 拟补贴人数 is the first source that splits its slots over units.
    quota_source = next((s for s in sources if s.uses_unit_quotas), None)
    pool = None
    # The pool belongs to the owner: only a viewer at or above it sees (and counts) it.
    sees_pool = program.owner_union.path.startswith(scope.path)
    if quota_source is not None:
        live_in_scope = ~Q(awards__status__in=AWARD_ENDED_STATUSES) & Q(
            awards__application__union_path__startswith=scope.path
        )
        if batch is not None:
            live_in_scope &= Q(awards__batch=batch)
        lines = Q(is_pool=False, union__path__startswith=scope.path)
        if sees_pool:
            lines |= Q(is_pool=True)
        quotas = (
            Quota.objects.filter(lines, source=quota_source)
            .values("union__path", "union_id", "position", "slots", "is_pool", "label")
            .annotate(used=Count("awards", filter=live_in_scope))
        )  # query 5
        for q in quotas:
            if q["is_pool"]:
                pool = UnitRow(
                    path="",
                    name=q["label"] or POOL_LABEL,
                    quota_slots=q["slots"],
                    quota_used=pool_used[quota_source.pk],
                )
                continue
            u = unit(q["union__path"])
            u.union_id, u.position, u.quota_slots, u.quota_used = q["union_id"], q["position"], q["slots"], q["used"]

    for u_ in Union.objects.filter(path__in=list(units)).values("id", "path", "name"):  # query 6
        units[u_["path"]].name, units[u_["path"]].union_id = u_["name"], u_["id"]

    per_day = [
        (row["day"], row["n"])
        for row in apps.filter(submitted_at__isnull=False)
        .annotate(day=TruncDate("submitted_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    ]  # query 7

    backlog = [
        TierBacklog(
            union_name=row["current_tier__name"] or "—",
            level=row["current_tier__level"] or "",
            pending=row["n"],
            review_closes=row["batch__review_closes"],
            oldest_submitted=row["oldest"],
        )
        for row in apps.filter(status=S.IN_REVIEW)
        .values("current_tier_id", "current_tier__name", "current_tier__level", "batch__review_closes")
        .annotate(n=Count("id"), oldest=Min("last_submitted_at"))
        .order_by("batch__review_closes", "-n", "current_tier__name")
    ]  # query 8

    seats = None
    if program.allocation_mode == AllocationMode.AT_SUBMISSION:
        seats = _seat_summary(program=program, batch=batch)  # queries 9-10

    ordered = sorted(units.values(), key=lambda u: (u.quota_slots is None, u.position, u.path))
    totals = _sum_rows(ordered, tiers)
    if pool is not None:
        totals.quota_slots += pool.quota_slots or 0
        totals.quota_used += pool.quota_used
    return DashboardStats(
        program=program,
        batch=batch,
        scope=scope,
        tiers=tiers,
        sources=sources,
        units=ordered,
        totals=totals,
        money_by_source=dict(money_by_source),
        per_day=per_day,
        backlog=backlog,
        breakdown=breakdown,
        pool=pool,
        seats=seats,
    )


def _seat_summary(*, program: Program, batch: Batch | None) -> SeatSummary:
    """Places are the programme's (全区不超过100人), whoever looks: the count is not scoped,
    as the worker's own page shows the places left too."""
    seated = Application.objects.filter(
        program=program, seat_status__in=(SeatStatus.PLACED, SeatStatus.WAITLISTED), submitted_at__isnull=False
    )
    if batch is not None:
        seated = seated.filter(batch=batch)
    rows = (
        seated.annotate(day=TruncDate("submitted_at"))
        .values("day")
        .annotate(
            placed=Count("id", filter=Q(seat_status=SeatStatus.PLACED)),
            waiting=Count("id", filter=Q(seat_status=SeatStatus.WAITLISTED)),
        )
        .order_by("day")
    )
    per_day = [(r["day"], r["placed"], r["waiting"]) for r in rows]
    return SeatSummary(
        capacity=seat_capacity_of(program=program),
        placed=sum(p for _, p, _ in per_day),
        waitlisted=sum(w for _, _, w in per_day),
        per_day=per_day,
    )


def _counts_fill(u: UnitRow, row: dict, tiers: list[str]) -> UnitRow:
    for name in ("drafts", "applications", "in_review", "returned", "rejected", "approved", "awarded", "paid"):
        setattr(u, name, row[name])
    u.waitlisted = row["waitlisted"]
    u.by_tier = {t: row[f"tier_{t}"] for t in tiers}
    return u


def _sum_rows(rows: list[UnitRow], tiers: list[str]) -> UnitRow:
    total = UnitRow(path="", name="合计", quota_slots=0)
    for r in rows:
        for name in (
            "drafts",
            "applications",
            "in_review",
            "returned",
            "rejected",
            "approved",
            "awarded",
            "waitlisted",
            "paid",
            "quota_used",
        ):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        total.quota_slots += r.quota_slots or 0
        for t in tiers:
            total.by_tier[t] = total.by_tier.get(t, 0) + r.by_tier.get(t, 0)
        for source_id, statuses in r.money.items():
            for status, yuan in statuses.items():
                total.money[source_id][status] += yuan
    return total
