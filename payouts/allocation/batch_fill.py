"""Jinan's batch 3: "如第一、二批次补助名额已满，第三批申请不再开放".

A batch marked ``skip_if_quota_filled`` does not open when the awards of the batches
before it leave no place for it in any of the programme's own money: each source that is
not matching money and has a slot total; for money split over batches, the batch's share
(which Jinan's "batches 1 and 2 filled" rule makes zero). The check runs after every
allocation run and on every scheduler tick, and only moves a batch that has not opened
yet: a revoked award, a raised total or a smaller run before the opening day reopen it;
once its window has begun it is left alone, so nobody's open application disappears.

The mark lives on ``quotas.Batch.closed_as_filled_at`` so the worker's side (which may
not look at awards) can skip the batch and say why.
"""

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from quotas.models import Batch, Program
from quotas.services import audit_log_write

from ..models import Award
from .rules import batch_shares_of, uses_batch_split


def batch_places_left(*, batch: Batch) -> dict[str, int]:
    """Places each of the programme's own sources still has for ``batch`` (by source name):
    a source split over batches offers the batch's share less what the batch already holds;
    any other source its total less every live award."""
    left = {}
    sources = batch.program.sources.filter(matching_of__isnull=True, total_slots__isnull=False, scope_union=None)
    for source in sources.order_by("position", "pk"):
        live = Award.objects.filter(source=source).live()
        if uses_batch_split(source):
            share = batch_shares_of(source=source).shares.get(batch.pk, 0)
            left[source.name] = share - live.filter(application__batch=batch).count()
        else:
            left[source.name] = source.total_slots - live.count()
    return left


def batch_is_filled(*, batch: Batch) -> bool:
    """No own source has a place left for the batch (and the programme has such sources)."""
    left = batch_places_left(batch=batch)
    return bool(left) and all(n <= 0 for n in left.values())


def batch_fill_check(
    *, program: Program, now: datetime | None = None, actor: AbstractBaseUser | None = None
) -> list[dict]:
    """Close or reopen the programme's not-yet-open ``skip_if_quota_filled`` batches;
    returns what changed (each change audited)."""
    now = now or timezone.now()
    changes = []
    with transaction.atomic():
        pending = Batch.objects.select_for_update().filter(
            program=program, skip_if_quota_filled=True, apply_opens__gt=now
        )
        for batch in pending.order_by("number"):
            filled = batch_is_filled(batch=batch)
            if filled == (batch.closed_as_filled_at is not None):
                continue
            batch.closed_as_filled_at = now if filled else None
            batch.save(update_fields=["closed_as_filled_at"])
            action = "batch.closed_as_filled" if filled else "batch.reopened"
            audit_log_write(actor=actor, action=action, obj=batch, detail={"number": batch.number})
            changes.append({"batch": batch.number, "closed": filled})
    return changes


def batch_fill_check_due(*, now: datetime) -> int:
    """For the scheduler tick: every programme with a batch still to open that may skip."""
    program_ids = (
        Batch.objects.filter(skip_if_quota_filled=True, apply_opens__gt=now)
        .values_list("program_id", flat=True)
        .distinct()
    )
    changed = 0
    for program in Program.objects.filter(pk__in=list(program_ids)):
        changed += len(batch_fill_check(program=program, now=now))
    return changed
