"""Reads for the review pages: scoped querysets, the history, the overview figures."""

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from applications.models import Application, ApplicationEvent, ApplicationStatus
from quotas.models import PATH_SEGMENT_WIDTH, CoFunder, Union
from quotas.review_rounds import closed_batches
from quotas.selectors import cofunder_staff_of, union_admin_of

from .models import ReviewDecision

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

# The overview lists at most this many stranded applications (the count says if more).
STRANDED_LIST_LIMIT = 100


def applications_for_review(*, union: Union) -> QuerySet[Application]:
    """Everything a reviewer of ``union`` may see: submitted applications of its subtree.
    Drafts belong to the worker until submitted."""
    return Application.objects.in_subtree(union).exclude(status=ApplicationStatus.DRAFT)


def applications_for_cofunder(*, cofunder: CoFunder) -> QuerySet[Application]:
    """Everything a university's staff may see: its own students' applications
    (``Application.cofunder``) once they reached its step — waiting there now, decided there
    before, or through every step (the students it pays). Never those still at a union
    tier, never another university's."""
    decided_here = ReviewDecision.objects.filter(application=OuterRef("pk"), tier_cofunder=cofunder)
    at_step = Q(status=ApplicationStatus.IN_REVIEW, current_tier__isnull=True)
    through = Q(status__in=[ApplicationStatus.APPROVED, ApplicationStatus.PAID, ApplicationStatus.REVOKED])
    return Application.objects.filter(cofunder=cofunder).filter(at_step | through | Exists(decided_here))


def review_queue(queryset: QuerySet[Application], *, user, queue: str) -> QuerySet[Application]:
    """One of the queue's views (``QueueFilter``) of an already scoped queryset. The admin's
    filter and the staff desk both call this, so a desk count is the list it links to."""
    admin_ = union_admin_of(user)
    in_review = Q(status=ApplicationStatus.IN_REVIEW)
    # Back again: returned once, then submitted after the return.
    resubmitted = Q(returned_at__isnull=False, last_submitted_at__gt=F("returned_at"))
    if admin_ is None:
        if cofunder_staff_of(user) is None:
            return queryset.none()
        # A university's queue (already its own students past the union tiers): "mine"
        # is the co-funder step; nothing is below or above it.
        mine = queryset.filter(in_review, current_tier__isnull=True)
        if queue == "mine":
            return mine
        if queue == "resubmitted":
            return mine.filter(resubmitted)
        if queue in ("below", "above", "stranded"):
            return queryset.none()
        if queue == "returned":
            return queryset.filter(status=ApplicationStatus.RETURNED)
        if queue == "decided":
            return queryset.filter(status__in=DECIDED)
        return queryset
    union = admin_.union
    if queue == "mine":
        return queryset.filter(in_review, current_tier_id=union.pk)
    if queue == "resubmitted":
        return queryset.filter(in_review, resubmitted, current_tier_id=union.pk)
    if queue == "stranded":
        # Every review round of its batch is over: only the owner's manager can still decide.
        return queryset.filter(in_review, batch_id__in=sorted(closed_batches().stranded) or [0])
    if queue == "below":
        return queryset.filter(in_review, current_tier__path__startswith=union.path).exclude(current_tier_id=union.pk)
    if queue == "above":
        return queryset.filter(in_review).exclude(current_tier__path__startswith=union.path)
    if queue == "returned":
        return queryset.filter(status=ApplicationStatus.RETURNED)
    if queue == "decided":
        return queryset.filter(status__in=DECIDED)
    return queryset


def application_history(*, application: Application) -> QuerySet[ApplicationEvent]:
    return ApplicationEvent.objects.filter(application=application).select_related("actor", "tier").order_by("at", "id")


def review_overview(*, union: Union) -> dict:
    """Pending applications of the subtree by tier and by unit, with overdue counts.

    Two grouped queries and two name look-ups whatever the size of the subtree; units are
    the direct children of ``union`` found by the first segment of the application's union
    path below it.
    """
    now = timezone.now()
    closed = closed_batches(now=now)
    # In review is never a draft. Every column read here (path, tier, batch) is in the
    # partial index ``app_in_review_scope_idx``: an index-only scan of the pending rows.
    pending = Application.objects.in_subtree(union).filter(status=ApplicationStatus.IN_REVIEW)
    # Counted columns are the ones in that index (a window needs a batch; "mine" a tier).
    # Overdue: every review round of the programme is over (stranded, only the owner's
    # manager can still decide it). Waiting: between rounds, reviewable again when the
    # next opens. Both by batch id, found in Python from the few batches (no join).
    stranded_ids = sorted(closed.stranded) or [0]
    overdue = Count("batch_id", filter=Q(batch_id__in=stranded_ids))
    waiting = Count("batch_id", filter=Q(batch_id__in=sorted(closed.waiting) or [0]))
    # Grouped by the tier id alone (a hash of integers); the names come from one look-up of
    # those unions, and the order by path is done here: sorting the pending rows by text
    # took longer than the whole count on a city with 120,000 of them.
    tier_rows = list(
        pending.values("current_tier_id").annotate(n=Count("*"), overdue=overdue, waiting=waiting).order_by()
    )
    tiers = {
        pk: (name, level, path)
        for pk, name, level, path in Union.objects.filter(
            pk__in=[r["current_tier_id"] for r in tier_rows if r["current_tier_id"]]
        ).values_list("pk", "name", "level", "path")
    }
    by_tier = []
    for row in tier_rows:
        name, level, path = tiers.get(row["current_tier_id"], ("", "", ""))
        by_tier.append({**row, "current_tier__name": name, "current_tier__level": level, "path": path})
    by_tier.sort(key=lambda r: r["path"])
    segment = len(union.path) + PATH_SEGMENT_WIDTH + 1
    by_unit_rows = (
        pending.annotate(unit_path=Substr("union_path", 1, segment))
        .values("unit_path")
        .annotate(n=Count("*"), overdue=overdue, mine=Count("current_tier_id", filter=Q(current_tier_id=union.pk)))
        .order_by("unit_path")
    )
    by_unit_rows = list(by_unit_rows)
    names = dict(Union.objects.filter(path__in=[r["unit_path"] for r in by_unit_rows]).values_list("path", "name"))
    by_unit = []
    for row in by_unit_rows:
        # Workers attached directly to ``union`` itself have no child unit.
        name = names.get(row["unit_path"]) or union.name
        by_unit.append({**row, "name": name})
    for rows in (by_tier, by_unit):
        top = max((r["n"] for r in rows), default=0) or 1
        for r in rows:
            r["pct"] = round(100 * r["n"] / top)
    overdue_total = sum(r["overdue"] for r in by_tier)
    stranded = []
    if overdue_total:
        stranded = list(
            pending.filter(batch_id__in=stranded_ids)
            .select_related("worker", "current_tier", "batch", "program")
            .order_by("submitted_at", "id")[:STRANDED_LIST_LIMIT]
        )
    return {
        "by_tier": by_tier,
        "by_unit": by_unit,
        "total": sum(r["n"] for r in by_tier),
        "overdue": overdue_total,
        "waiting": sum(r["waiting"] for r in by_tier),
        "stranded": stranded,
        "stranded_more": max(overdue_total - len(stranded), 0),
        "now": now,
    }
