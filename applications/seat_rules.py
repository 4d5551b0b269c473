"""Who may take a place, and where a waitlisted submission queues: pure rules on the counts.

Shared by the seat writes (``seats.py``, under the counter lock) and the outlook the pages
show before a submit (``seat_outlook.py``, no lock), so the notice says what the submit does.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from quotas.models import FullPolicy, PriorityMode, Program

from .priority import GROUP_LABELS


@dataclass(frozen=True)
class SeatCounts:
    placed: int = 0
    waiting: int = 0
    priority_placed: int = 0
    priority_waiting: int = 0


@dataclass(frozen=True)
class SeatRules:
    capacity: int | None  # None: no limit (no slotted money)
    reserved: int  # places still held for the priority groups (0: none, or released)
    waitlist_first: bool  # priority applicants queue ahead of the others
    stop_when_full: bool
    waitlist_limit: int | None


def stage1_closes_of(program: Program) -> datetime | None:
    """The stage-1 window ends with the programme's last batch (``apply_closes``)."""
    closes = [b.apply_closes for b in program.batches.all()]
    return max(closes) if closes else None


def reservation_active(*, program: Program, now: datetime) -> bool:
    """Reserved places are held until the stage-1 window closes; computed here from the
    batches, so nothing depends on the release task having run."""
    if program.priority_mode != PriorityMode.RESERVED or not program.priority_reserved_places:
        return False
    closes = stage1_closes_of(program)
    return closes is not None and now < closes


def seat_rules_of(*, program: Program, capacity: int | None, now: datetime) -> SeatRules:
    reserved = program.priority_reserved_places if reservation_active(program=program, now=now) else 0
    if capacity is not None:
        reserved = min(reserved, capacity)
    return SeatRules(
        capacity=capacity,
        reserved=reserved,
        waitlist_first=program.priority_mode == PriorityMode.WAITLIST_FIRST,
        stop_when_full=program.full_policy == FullPolicy.STOP,
        waitlist_limit=program.waitlist_limit,
    )


def seat_fits(*, counts: SeatCounts, rules: SeatRules, is_priority: bool) -> bool:
    """A free place for this applicant? A priority applicant takes a reserved place first,
    then a general one; the others only general ones (capacity minus the reservation)."""
    if rules.capacity is None:
        return True
    if is_priority or not rules.reserved:
        return counts.placed < rules.capacity
    others = counts.placed - counts.priority_placed
    general_used = others + max(0, counts.priority_placed - rules.reserved)
    return general_used < rules.capacity - rules.reserved


def waitlist_rank_for(*, counts: SeatCounts, rules: SeatRules, is_priority: bool) -> int:
    if rules.waitlist_first and is_priority:
        return counts.priority_waiting + 1  # ahead of every non-priority applicant
    return counts.waiting + 1


def full_refusal(*, counts: SeatCounts, rules: SeatRules) -> str:
    """Why a submission that finds no place is refused, or "" when it joins the waitlist."""
    if rules.stop_when_full:
        return _("名额已满，本方案额满即止，不再接受申请。")
    if rules.waitlist_limit is not None and counts.waiting >= rules.waitlist_limit:
        return _("名额已满，候补名单（%(n)s人）也已排满，不再接受申请。") % {"n": rules.waitlist_limit}
    return ""


def priority_mode_text(program: Program) -> str:
    """One line for the programme page and the award's explanation."""
    groups = "、".join(str(label) for label in GROUP_LABELS.values())
    if program.priority_mode == PriorityMode.RESERVED:
        return _("%(groups)s优先：预留%(n)s个名额给优先群体，第一阶段申请截止后未用完的预留名额转给其他申请人") % {
            "groups": groups,
            "n": program.priority_reserved_places,
        }
    if program.priority_mode == PriorityMode.WAITLIST_FIRST:
        return _("%(groups)s优先：名额已满后，优先群体在候补名单中排在其他申请人前面") % {"groups": groups}
    return ""
