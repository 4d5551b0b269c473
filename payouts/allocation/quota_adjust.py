"""Moving quota between units and the city pool (结合职工申请人数及时进行调整).

A row never drops below the slots its published or paid awards already use: those people
were told they got the money. Every move is audited with its reason in the same
transaction. The allocation is not re-run here: staff see the effect with a dry run first.
"""

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils.translation import gettext as _

from quotas.models import Quota
from quotas.services import audit_log_write

from ..models import Award, AwardStatus, AwardVia

FIXED = (AwardStatus.PUBLISHED, AwardStatus.PAID, AwardStatus.FAILED)


def _used(quota: Quota, statuses) -> int:
    awards = Award.objects.filter(source_id=quota.source_id, status__in=statuses)
    if quota.is_pool:
        return awards.filter(via=AwardVia.POOL).count()
    return awards.filter(quota=quota).count()


def quota_transfer(
    *, from_quota: Quota, to_quota: Quota, slots: int, actor: AbstractBaseUser | None, reason: str
) -> tuple[Quota, Quota]:
    """Move ``slots`` from one row of a source's quota table to another (unit or pool)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写调整原因。"))
    if slots <= 0:
        raise ValidationError(_("调整名额须为正整数。"))
    if from_quota.pk == to_quota.pk or from_quota.source_id != to_quota.source_id:
        raise ValidationError(_("只能在同一补助来源的不同单位（或调剂名额）之间调整。"))
    with transaction.atomic():
        # Lock in id order so two opposite transfers cannot deadlock.
        locked = {q.pk: q for q in Quota.objects.select_for_update().filter(pk__in=[from_quota.pk, to_quota.pk])}
        src, dst = locked[from_quota.pk], locked[to_quota.pk]
        fixed = _used(src, FIXED)
        if src.slots - slots < fixed:
            raise ValidationError(
                _("%(unit)s 已有%(fixed)s人公示或发放，名额不能少于%(fixed)s（现有%(slots)s）。")
                % {"unit": src, "fixed": fixed, "slots": src.slots}
            )
        Quota.objects.filter(pk=src.pk).update(slots=F("slots") - slots)
        Quota.objects.filter(pk=dst.pk).update(slots=F("slots") + slots)
        audit_log_write(
            actor=actor,
            action="quota.transfer",
            obj=src,
            detail={
                "source": src.source_id,
                "from": str(src),
                "to": str(dst),
                "slots": slots,
                "reason": reason,
                "from_before": src.slots,
                "to_before": dst.slots,
            },
        )
        src.refresh_from_db()
        dst.refresh_from_db()
    from_quota.slots, to_quota.slots = src.slots, dst.slots
    return src, dst


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
            Quota.objects.filter(pk=quota.pk).update(slots=F("slots") - unused, release_unused_at=None)
            Quota.objects.filter(pk=pool.pk).update(slots=F("slots") + unused)
            audit_log_write(
                actor=None,
                action="quota.release_unused",
                obj=quota,
                detail={"source": quota.source_id, "unit": str(quota), "slots": unused, "due": now.isoformat()},
            )
            moved += unused
    return moved
