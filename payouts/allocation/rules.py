"""How a source's total is cut into per-batch shares (Jinan province money).

Seed 001: 省级补助按照三批申请时段平均分配（如第一、二批次补助名额已满，则第一、二批次各取
前500名审核通过的职工发放省级补助）.
- ``even``: total // n per batch; the remainder goes one each to the earliest batches
  (1000 over 3 batches = 334, 333, 333). An unused share does not roll over: the seed
  says "平均分配" per application window, and rolling over would change batch 1's money
  after it was published.
- ``even_first_two``: as ``even``, unless the approved applicants of batches 1 and 2
  together reach the total ("前两批已满"): then batch 1 and batch 2 each take their first
  ``first_batches_cap`` approved and batch 3 gets nothing (the two shares never add up
  to more than the total: batch 2 gets what is left if the cap exceeds half of it).
"""

from dataclasses import dataclass

from applications.models import Application, ApplicationStatus
from quotas.models import BatchSplit, FundingSource


@dataclass(frozen=True)
class BatchShares:
    shares: dict[int, int]  # batch id -> slots
    numbers: dict[int, int]  # batch id -> batch number
    first_two_cap: int | None  # set when the "batches 1 and 2 filled" rule applies


def batch_shares_of(*, source: FundingSource) -> BatchShares:
    batches = list(source.program.batches.order_by("number").values_list("id", "number"))
    numbers = dict(batches)
    total = source.total_slots or 0
    if not batches:
        return BatchShares(shares={}, numbers={}, first_two_cap=None)
    if source.batch_split == BatchSplit.EVEN_FIRST_TWO and source.first_batches_cap is not None:
        first_two = [bid for bid, number in batches if number in (1, 2)]
        approved_first_two = Application.objects.filter(
            program_id=source.program_id,
            batch_id__in=first_two,
            status__in=(ApplicationStatus.APPROVED, ApplicationStatus.PAID),
        ).count()
        if approved_first_two >= total:
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
