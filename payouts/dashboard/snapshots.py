"""Pre-aggregated dashboard figures: computed once, read by every page view for at most
``DASHBOARD_MAX_AGE_SECONDS`` (default 60).

Why: at a province's scale (1,000,000 applications over 16 cities) one city's figures take
seconds to aggregate and the charts ~0.2 s to draw; a page must answer in well under
300 ms. So the page reads a snapshot: the exact figures (same ``dashboard_stats``, same
queries) as of ``computed_at``, with the finished charts. Beat refreshes the owners' and
the provinces' snapshots every ``DASHBOARD_MAX_AGE_SECONDS`` (``dashboard_snapshots_refresh``)
so those pages never wait; any other scope (a county, a batch) is computed on its first
view and then shared for the same time. The page says when its figures were taken.

Stored in the default cache: Redis in production (shared by web and worker processes);
the in-process cache of the demo only saves repeated views of one process.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.safestring import SafeString

from quotas.models import Batch, Program, Union

from .charts import dashboard_charts
from .province import ProvinceComparison, programs_below, province_comparison
from .selectors import DashboardStats, dashboard_stats


def max_age_seconds() -> int:
    return int(getattr(settings, "DASHBOARD_MAX_AGE_SECONDS", 60))


@dataclass
class DashboardSnapshot:
    stats: DashboardStats
    charts: dict[str, SafeString]
    computed_at: datetime


@dataclass
class ProvinceSnapshot:
    comparison: ProvinceComparison
    computed_at: datetime


def _key(*parts) -> str:
    return "dash:v1:" + ":".join(str(p) for p in parts)


def dashboard_snapshot(*, program: Program, scope: Union, batch: Batch | None = None) -> DashboardSnapshot:
    key = _key("p", program.pk, scope.pk, batch.pk if batch else "-")
    snapshot = cache.get(key) if max_age_seconds() > 0 else None
    if snapshot is None:
        snapshot = dashboard_snapshot_compute(program=program, scope=scope, batch=batch)
    return snapshot


def dashboard_snapshot_compute(*, program: Program, scope: Union, batch: Batch | None = None) -> DashboardSnapshot:
    computed_at = timezone.now()
    stats = dashboard_stats(program=program, scope=scope, batch=batch)
    snapshot = DashboardSnapshot(stats=stats, charts=dashboard_charts(stats), computed_at=computed_at)
    if max_age_seconds() > 0:
        cache.set(_key("p", program.pk, scope.pk, batch.pk if batch else "-"), snapshot, timeout=max_age_seconds())
    return snapshot


def _province_key(scope: Union, programs: list[Program]) -> str:
    below = programs_below(scope=scope, programs=programs)
    return _key("v", scope.pk, "-".join(str(p.pk) for p in sorted(below, key=lambda p: p.pk)))


def province_snapshot(*, scope: Union, programs: list[Program]) -> ProvinceSnapshot:
    snapshot = cache.get(_province_key(scope, programs)) if max_age_seconds() > 0 else None
    if snapshot is None:
        snapshot = province_snapshot_compute(scope=scope, programs=programs)
    return snapshot


def province_snapshot_compute(*, scope: Union, programs: list[Program]) -> ProvinceSnapshot:
    computed_at = timezone.now()
    snapshot = ProvinceSnapshot(comparison=province_comparison(scope=scope, programs=programs), computed_at=computed_at)
    if max_age_seconds() > 0:
        cache.set(_province_key(scope, programs), snapshot, timeout=max_age_seconds())
    return snapshot


def dashboard_snapshots_refresh(*, years: int = 2) -> int:
    """Beat: recompute the snapshots the busy pages read: each recent programme at its
    owner's scope, and each union above two or more owners (a province) with its
    comparison. Returns the number of snapshots written."""
    if max_age_seconds() <= 0:
        return 0
    latest = Program.objects.order_by("-year").values_list("year", flat=True).first()
    if latest is None:
        return 0
    programs = list(Program.objects.filter(year__gt=latest - years).select_related("owner_union"))
    written = 0
    above: dict[str, int] = {}
    for program in programs:
        dashboard_snapshot_compute(program=program, scope=program.owner_union)
        written += 1
        for path in program.owner_union.ancestor_paths()[:-1]:
            above[path] = above.get(path, 0) + 1
    for union in Union.objects.filter(path__in=[p for p, n in above.items() if n >= 2]):
        under = [p for p in programs if p.owner_union.path.startswith(union.path)]
        province_snapshot_compute(scope=union, programs=under)
        written += 1
    return written
