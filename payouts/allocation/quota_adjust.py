"""Moving quota between units and the city pool (结合职工申请人数及时进行调整).

A row never drops below the slots its published or paid awards already use: those people
were told they got the money. The check itself is ``quotas.services.quota_slots_write``,
the one write of ``Quota.slots``; quotas cannot see awards, so this module tells it how
many places each row has given (``quota_usage_register``, called from
``PayoutsConfig.ready``). ``quota_transfer`` (a move with a reason, audited) lives in
quotas beside that check and is re-exported here. The allocation is not re-run by a move:
staff see the effect with a dry run first.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q

from applications.models import Application, ApplicationStatus
from quotas.models import Quota, Union
from quotas.services import audit_log_write, quota_slots_write, quota_transfer
from quotas.usage import UnionLive, quota_given_counter_set, union_live_counter_set

from ..models import Award, AwardStatus, AwardVia

__all__ = ["quota_release_due", "quota_transfer", "quota_usage_register"]

# Places a row has given: those people were told (published) or paid (failed: paid again).
FIXED = (AwardStatus.PUBLISHED, AwardStatus.PAID, AwardStatus.FAILED)


def quota_given(quotas: Sequence[Quota]) -> dict[int, int]:
    """Places given of each row, in two grouped counts: a unit row's awards point at it
    (``via`` quota); pool awards carry no row, so the pool counts its source's pool awards."""
    fixed = Award.objects.filter(status__in=FIXED)
    counts = dict(
        fixed.filter(quota__in=[q for q in quotas if not q.is_pool], via=AwardVia.UNIT_QUOTA)
        .values("quota_id")
        .annotate(n=Count("id"))
        .values_list("quota_id", "n")
    )
    pool_of = {q.source_id: q.pk for q in quotas if q.is_pool}
    for source_id, n in (
        fixed.filter(source_id__in=list(pool_of), via=AwardVia.POOL)
        .values("source_id")
        .annotate(n=Count("id"))
        .values_list("source_id", "n")
    ):
        counts[pool_of[source_id]] = n
    return counts


def union_live(union: Union) -> UnionLive:
    """Applications that would go wrong if ``union`` changed level or moved now."""
    in_review = (
        Application.objects.filter(status=ApplicationStatus.IN_REVIEW)
        .filter(
            Q(union_path__startswith=union.path)
            | Q(review_chain__contains=[union.pk])
            | Q(worker__union__path__startswith=union.path)
        )
        .count()
    )
    awaiting = Application.objects.filter(status=ApplicationStatus.APPROVED, union_path__startswith=union.path).count()
    return UnionLive(in_review=in_review, awaiting_money=awaiting)


def quota_usage_register() -> None:
    """Called once from ``PayoutsConfig.ready``: quotas asks these before a slot or tree change."""
    quota_given_counter_set(quota_given)
    union_live_counter_set(union_live)


def quota_release_due(*, now: datetime) -> int:
    """Give units' unused slots to their source's pool once ``release_unused_at`` has
    passed. Unused = slots minus live awards of the unit (proposed ones too: those
    people are in the running list). Clears ``release_unused_at`` so a second tick
    releases nothing. Returns the number of slots moved."""
    moved = 0
    with transaction.atomic():
        due = list(
            Quota.objects.select_for_update()
            .filter(is_pool=False, release_unused_at__isnull=False, release_unused_at__lte=now)
            .order_by("pk")
        )
        if not due:
            return 0
        live = dict(
            Award.objects.filter(quota__in=due)
            .live()
            .values("quota_id")
            .annotate(n=Count("id"))
            .values_list("quota_id", "n")
        )
        for quota in due:
            unused = max(quota.slots - live.get(quota.pk, 0), 0)
            pool, _created = Quota.objects.select_for_update().get_or_create(
                source_id=quota.source_id, is_pool=True, defaults={"slots": 0, "position": 999}
            )
            quota_slots_write(slots={quota.pk: quota.slots - unused, pool.pk: pool.slots + unused})
            Quota.objects.filter(pk=quota.pk).update(release_unused_at=None)
            audit_log_write(
                actor=None,
                action="quota.release_unused",
                obj=quota,
                detail={"source": quota.source_id, "unit": str(quota), "slots": unused, "due": now.isoformat()},
            )
            moved += unused
    return moved
