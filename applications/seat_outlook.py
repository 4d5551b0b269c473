"""What a submission would get now, said before the worker submits (额满即止, said before).

Read without locks from the programme's seat counter and the same rules the submit applies
(``seat_rules``): the programme page, the edit page and the submit page show it, and the
submit under the counter lock decides the same unless someone else submitted meanwhile.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from quotas.models import AllocationMode, Program

from .models import SeatCounter
from .priority import priority_groups_of, priority_labels
from .seat_rules import SeatCounts, full_refusal, priority_mode_text, seat_fits, seat_rules_of, waitlist_rank_for
from .selectors import seat_capacity_of


@dataclass(frozen=True)
class SeatOutlook:
    capacity: int | None
    placed: int
    remaining: int | None  # places not taken yet (0 when this worker would find none)
    full: bool  # no place for this worker now
    waitlist_rank: int | None  # where this worker's submission would queue, when full
    refusal: str  # full and no more submissions taken: the submit says this
    notice: str  # the line the pages show ("" while places remain)
    priority_text: str  # how priority works in this programme ("" for none)
    priority_groups: str  # the worker's groups, 、-joined ("" for none)


def seat_outlook_of(*, program: Program, worker=None, now: datetime | None = None) -> SeatOutlook | None:
    """None for a batch programme (places are allocated after review there)."""
    if program.allocation_mode != AllocationMode.AT_SUBMISSION:
        return None
    now = now or timezone.now()
    capacity = seat_capacity_of(program=program)
    rules = seat_rules_of(program=program, capacity=capacity, now=now)
    counter = SeatCounter.objects.filter(pk=program.pk).first()
    counts = (
        SeatCounts(
            placed=counter.placed,
            waiting=counter.waiting,
            priority_placed=counter.priority_placed,
            priority_waiting=counter.priority_waiting,
        )
        if counter
        else SeatCounts()
    )
    groups = priority_groups_of(worker) if worker is not None else []
    is_priority = bool(groups)
    fits = seat_fits(counts=counts, rules=rules, is_priority=is_priority)
    refusal = "" if fits else full_refusal(counts=counts, rules=rules)
    rank = None if fits or refusal else waitlist_rank_for(counts=counts, rules=rules, is_priority=is_priority)
    if fits:
        notice = ""
    elif refusal:
        notice = refusal
    else:
        notice = _("名额已满，现在提交将进入候补第%(rank)s位。") % {"rank": rank}
    remaining = None
    if capacity is not None:
        remaining = max(capacity - counts.placed, 0) if fits else 0
    return SeatOutlook(
        capacity=capacity,
        placed=counts.placed,
        remaining=remaining,
        full=not fits,
        waitlist_rank=rank,
        refusal=refusal,
        notice=notice,
        priority_text=priority_mode_text(program),
        priority_groups=priority_labels(groups),
    )
