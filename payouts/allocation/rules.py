"""How a source's total is cut into per-batch shares (Jinan province money), and where the
places a batch cannot use go.

Seed 001: 省级补助按照三批申请时段平均分配（如第一、二批次补助名额已满，则第一、二批次各取
前500名审核通过的职工发放省级补助）.
- ``even``: total // n per batch; the remainder goes one each to the earliest batches
  (1000 over 3 batches = 334, 333, 333).
- ``even_first_two``: as ``even``, unless the applications approved in batches 1 and 2
  together reach the total ("前两批已满"): then batch 1 and batch 2 each take their first
  ``first_batches_cap`` approved and batch 3 gets nothing (the two shares never add up
  to more than the total: batch 2 gets what is left if the cap exceeds half of it).
  "Approved" counts every application approved in those batches, whatever happened to it
  afterwards (paid, withdrawn, revoked): the condition only ever turns on, so a rerun
  after batch 1 was paid cannot go back to the even split (334 published to batch 1 plus
  the even shares would exceed the total), and a withdrawal frees a place for the next in
  line instead of reshaping every share.
- **Places a batch cannot use** (its application window has closed, or it was closed as
  filled, and fewer of its applications than its share are approved or still in review)
  go to the next eligible applicants in submission order whom their own batch share does
  not fund — in practice batch 1's waiting workers, submitted first — instead of to
  nobody: the seed gives the money to 1000 workers ("计划补助我市1000名"), and when batches
  1+2 fill the quota batch 3 does not even open. A batch whose window is still open keeps
  its whole share. Published and paid awards are never moved: what a batch already holds
  beyond its share (places it was passed earlier) counts as used.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from applications.models import Application, ApplicationEvent, ApplicationStatus
from quotas.models import BatchSplit, FundingSource

from . import engine, explain


@dataclass(frozen=True)
class BatchShares:
    shares: dict[int, int]  # batch id -> slots
    numbers: dict[int, int]  # batch id -> batch number
    first_two_cap: int | None  # set when the "batches 1 and 2 filled" rule applies


def approved_ever(*, program_id: int, batch_ids: list[int]) -> int:
    """Applications of these batches that were finally approved at some point: approved,
    paid or revoked now (only reachable from approved), or withdrawn after approval."""
    withdrawn_after_approval = Exists(
        ApplicationEvent.objects.filter(
            application=OuterRef("pk"), from_status=ApplicationStatus.APPROVED, to_status=ApplicationStatus.WITHDRAWN
        )
    )
    return (
        Application.objects.filter(program_id=program_id, batch_id__in=batch_ids)
        .filter(
            Q(status__in=(ApplicationStatus.APPROVED, ApplicationStatus.PAID, ApplicationStatus.REVOKED))
            | Q(withdrawn_after_approval, status=ApplicationStatus.WITHDRAWN)
        )
        .count()
    )


def batch_shares_of(*, source: FundingSource) -> BatchShares:
    batches = list(source.program.batches.order_by("number").values_list("id", "number"))
    numbers = dict(batches)
    total = source.total_slots or 0
    if not batches:
        return BatchShares(shares={}, numbers={}, first_two_cap=None)
    if source.batch_split == BatchSplit.EVEN_FIRST_TWO and source.first_batches_cap is not None:
        first_two = [bid for bid, number in batches if number in (1, 2)]
        if approved_ever(program_id=source.program_id, batch_ids=first_two) >= total:
            cap = source.first_batches_cap
            # Never more than the total, even if the cap was set above half of it.
            first = min(cap, total)
            capped = {1: first, 2: min(cap, total - first)}
            shares = {bid: capped.get(number, 0) for bid, number in batches}
            return BatchShares(shares=shares, numbers=numbers, first_two_cap=cap)
    base, remainder = divmod(total, len(batches))
    shares = {bid: base + (1 if i < remainder else 0) for i, (bid, _number) in enumerate(batches)}
    return BatchShares(shares=shares, numbers=numbers, first_two_cap=None)


def uses_batch_split(source: FundingSource) -> bool:
    return source.batch_split in (BatchSplit.EVEN, BatchSplit.EVEN_FIRST_TWO)


@dataclass(frozen=True)
class BatchPlan:
    """The shares of one run, and the places passed on (递补) from batches that cannot use them."""

    split: BatchShares
    held: dict[int, int]  # batch id -> awards it holds (published/paid, or proposed outside the run)
    kept: dict[int, int]  # batch id -> places the batch keeps for its own applicants
    spill_open: int  # places passed on that this run gives
    spill_held: int  # places passed on earlier, held (a batch's holding beyond its share)
    donors: tuple[int, ...] = field(default=())  # numbers of the batches that pass places on

    @property
    def spill_slots(self) -> int:
        return self.spill_open + self.spill_held


def _still_open(batch, now: datetime) -> bool:
    return batch.closed_as_filled_at is None and now < batch.apply_closes


def batch_plan_of(*, source: FundingSource, scope: engine.Scope, now: datetime | None = None) -> BatchPlan | None:
    """None when the programme has no batches (the source falls back to its total)."""
    split = batch_shares_of(source=source)
    if not split.shares:
        return None
    now = now or timezone.now()
    batches = {b.pk: b for b in source.program.batches.all()}
    held = engine.batch_held(source_id=source.pk, scope=scope)
    kept = {}
    for batch_id, share in split.shares.items():
        has = held.get(batch_id, 0)
        if share <= has or _still_open(batches[batch_id], now):
            kept[batch_id] = share
        else:
            claimants = engine.batch_claimants(
                source_id=source.pk, scope=scope, program_id=source.program_id, batch_id=batch_id, cap=share - has
            )
            kept[batch_id] = has + claimants
    used = sum(max(held.get(b, 0), kept[b]) for b in split.shares)
    donors = tuple(sorted(split.numbers[b] for b, share in split.shares.items() if kept[b] < share))
    return BatchPlan(
        split=split,
        held=held,
        kept=kept,
        spill_open=max(sum(split.shares.values()) - used, 0),
        spill_held=sum(max(held.get(b, 0) - share, 0) for b, share in split.shares.items()),
        donors=donors,
    )


def batch_award_rows(*, source: FundingSource, scope: engine.Scope) -> list[dict] | None:
    """The awards of a batch-split source for the run, each with its ``rank`` and the
    ``text`` naming the rule that gave it; None when the programme has no batches."""
    plan = batch_plan_of(source=source, scope=scope)
    if plan is None:
        return None
    split = plan.split
    rows = engine.batch_rows(source_id=source.pk, scope=scope, shares=split.shares)
    out = [
        {
            **r,
            "rank": r["batch_rank"] + r["batch_held"],
            "text": explain.batch_funded(
                row=r, batch_number=split.numbers[r["batch_id"]], first_two_cap=split.first_two_cap
            ),
        }
        for r in rows
    ]
    spill = engine.batch_spill_rows(
        source_id=source.pk, scope=scope, shares=split.shares, places=plan.spill_open, batch_funded=len(rows)
    )
    for r in spill:
        position = plan.spill_held + r["spill_rank"]
        text = explain.batch_spill_funded(
            donors=plan.donors, batch_number=split.numbers[r["batch_id"]], position=position, slots=plan.spill_slots
        )
        out.append({**r, "rank": position, "text": text})
    return out
