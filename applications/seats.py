"""Seats of at-submission programmes (Xian'an: the place is taken at submission).

Each programme has one ``SeatCounter`` row. A submission reads and checks everything,
and writes its event and message, without any programme-wide lock; its last step takes the
seat: lock the counter row, read the FCFS time, pick the seat, write the counter and the
application row in one statement (``seat_write``), and commit. The counter lock is held for
that statement and the commit (``make bench`` reports it) and seat ranks follow
``submitted_at``.

Lock order, every writer: ``Program`` row → application row(s) → ``SeatCounter`` row.
- submit takes application → counter only (no programme lock);
- release/promote (withdrawal, rejection, revocation, upheld objection, late resubmit)
  takes programme → application → counter; the waitlisted row it promotes is locked after
  the counter, which cannot deadlock: the only writer that waits for the counter without
  the programme lock is a submit, and a submit holds a draft, never a waitlisted row.

Every writer locks the programme row ``FOR NO KEY UPDATE`` (``select_for_update(no_key=True)``),
never ``FOR UPDATE``: a foreign-key check at a submit's commit takes ``FOR KEY SHARE`` on the
programme row while the submit still holds the counter. ``FOR UPDATE`` blocks that share
lock, and a withdrawal holding the programme and waiting for the counter deadlocked with it
(seen in ``test_withdrawals_racing_submissions_keep_the_counter_exact`` when the seat was
a second UPDATE of the row); ``FOR NO KEY UPDATE`` serialises the writers just the same.
"""

import os
import time
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from quotas.audit import AuditAction
from quotas.models import AllocationMode, PriorityMode, Program
from quotas.services import audit_log_write

from .models import Application, SeatCounter, SeatStatus
from .progress import ProgressStep, application_progress_record
from .seat_rules import (
    SeatCounts,
    SeatRules,
    full_refusal,
    reservation_active,
    seat_fits,
    seat_rules_of,
    waitlist_rank_for,
)
from .seat_write import COUNTS, row_write_prepare, seat_and_row_write
from .selectors import QUEUED_STATUSES, seat_capacity_of

SEAT_PROMOTE = "seat_promote"
# Set by bench/bench_submit.py: each submit appends the milliseconds from the counter lock
# being granted to its commit, one line each, to this file. Unset: nothing is measured.
HOLD_LOG_ENV = "QIUXUE_SEAT_LOCK_LOG"


def _program_lock(program_id: int) -> Program:
    # Only the programme row, and NO KEY (module docstring). Every row lock on an application
    # uses ``of=("self",)``: select_related would otherwise lock the joined rows too.
    return Program.objects.select_for_update(no_key=True).get(pk=program_id)


def _counter_lock(program_id: int) -> SeatCounter:
    counter = SeatCounter.objects.select_for_update().filter(pk=program_id).first()
    if counter is None:
        # A programme made after the migration: its first seat makes the row, counted from
        # the rows like the migration does (seats written some other way, e.g. fixtures).
        seats = Application.objects.filter(program_id=program_id)
        counts = seats.aggregate(
            placed=Count("pk", filter=Q(seat_status=SeatStatus.PLACED)),
            waiting=Count("pk", filter=Q(seat_status=SeatStatus.WAITLISTED)),
            priority_placed=Count("pk", filter=Q(seat_status=SeatStatus.PLACED, is_priority=True)),
            priority_waiting=Count("pk", filter=Q(seat_status=SeatStatus.WAITLISTED, is_priority=True)),
        )
        SeatCounter.objects.bulk_create([SeatCounter(program_id=program_id, **counts)], ignore_conflicts=True)
        counter = SeatCounter.objects.select_for_update().get(pk=program_id)
    return counter


def _counts(counter: SeatCounter) -> SeatCounts:
    return SeatCounts(
        placed=counter.placed,
        waiting=counter.waiting,
        priority_placed=counter.priority_placed,
        priority_waiting=counter.priority_waiting,
    )


def _hold_measure(granted: float) -> None:
    path = os.environ.get(HOLD_LOG_ENV)
    if not path:
        return

    def write() -> None:
        with open(path, "a") as f:
            f.write(f"{(time.perf_counter() - granted) * 1000:.3f}\n")

    transaction.on_commit(write)
    # First of the after-commit callbacks (the message's job was registered earlier): the
    # figure ends at the commit, when the lock is released, not after the others ran.
    # Measurement only (the bench sets the variable); ``run_on_commit`` is Django's list.
    pending = transaction.get_connection().run_on_commit
    pending.insert(0, pending.pop())


@dataclass(frozen=True)
class SeatPlan:
    rules: SeatRules


def seat_precheck(*, application: Application, capacity: int | None, now: datetime) -> SeatPlan | None:
    """Before the submit writes anything (no lock): the rules, and the refusal of a full
    programme that takes no more (额满即止) when the counts already say so. The same check
    runs again under the lock in ``seat_take``. None for a batch programme."""
    program = application.program
    if program.allocation_mode != AllocationMode.AT_SUBMISSION:
        return None
    rules = seat_rules_of(program=program, capacity=capacity, now=now)
    if not rules.stop_when_full and rules.waitlist_limit is None:
        return SeatPlan(rules=rules)  # never refused: spare the window's burst this read
    counter = SeatCounter.objects.filter(pk=program.pk).first()
    counts = _counts(counter) if counter else SeatCounts()
    if not seat_fits(counts=counts, rules=rules, is_priority=application.is_priority):
        refusal = full_refusal(counts=counts, rules=rules)
        if refusal:
            raise ValidationError(refusal)
    return SeatPlan(rules=rules)


def _seat_pick(*, counter: SeatCounter, rules: SeatRules, is_priority: bool, refuse: bool) -> dict:
    """Take a place or a waitlist slot on the locked counter (saved by the caller)."""
    counts = _counts(counter)
    if seat_fits(counts=counts, rules=rules, is_priority=is_priority):
        counter.placed += 1
        counter.priority_placed += int(is_priority)
        return {"seat_status": SeatStatus.PLACED, "seat_rank": counts.placed + 1}
    if refuse:
        refusal = full_refusal(counts=counts, rules=rules)
        if refusal:
            raise ValidationError(refusal)  # the caller's transaction rolls back: nothing written
    rank = waitlist_rank_for(counts=counts, rules=rules, is_priority=is_priority)
    if rank <= counts.waiting:  # priority ahead: the others move one down
        Application.objects.filter(
            program_id=counter.pk, seat_status=SeatStatus.WAITLISTED, seat_rank__gte=rank, is_priority=False
        ).update(seat_rank=F("seat_rank") + 1)
    counter.waiting += 1
    counter.priority_waiting += int(is_priority)
    return {"seat_status": SeatStatus.WAITLISTED, "seat_rank": rank}


def seat_take(*, application: Application, plan: SeatPlan, fields: list[str], now: datetime | None = None) -> None:
    """The end of a submit, and the row's one UPDATE: ``fields`` (already set on
    ``application``) are compiled first; then lock the counter, read the FCFS time, pick the
    seat and write the counter and the row in one statement (``seat_write``), which the
    commit follows. The seat fields are set on ``application``.
    (Writing the seat in a second UPDATE after the transition made PostgreSQL re-check every
    foreign key of the row at commit, FOR KEY SHARE on the programme row that every
    submission shares, inside the counter lock: slower, see docs/allocation.md.)
    Refused (额满即止, or the waitlist is full) with the reason, before anything is written.
    """
    row = row_write_prepare(application=application, fields=fields)
    counter = _counter_lock(application.program_id)
    granted = time.perf_counter()
    at = now or timezone.now()  # read under the lock: ranks follow submission times exactly
    seat = _seat_pick(counter=counter, rules=plan.rules, is_priority=application.is_priority, refuse=True)
    for field, value in {"submitted_at": at, "last_submitted_at": at, **seat}.items():
        setattr(application, field, value)
    seat_and_row_write(counter=counter, application=application, row=row)
    _hold_measure(granted)


def seat_requeue(*, application: Application, capacity: int | None, now: datetime) -> dict:
    """A late resubmit (caller holds the programme and the row): the place goes to the next
    in line, and this one queues again at the back. Never refused: it was in already.
    Returns the seat fields for the caller's transition to write."""
    seat_release_and_promote(application=application)
    counter = _counter_lock(application.program_id)
    rules = seat_rules_of(program=application.program, capacity=capacity, now=now)
    seat = _seat_pick(counter=counter, rules=rules, is_priority=application.is_priority, refuse=False)
    counter.save(update_fields=list(COUNTS))
    return seat


def _first_fitting(*, counter: SeatCounter, rules: SeatRules) -> Application | None:
    """The first on the waitlist who fits a free place (a reserved place only fits the
    priority groups), locked."""
    waiting = Application.objects.select_for_update(of=("self",)).filter(
        program_id=counter.pk, seat_status=SeatStatus.WAITLISTED, status__in=QUEUED_STATUSES
    )
    counts = _counts(counter)
    candidates = [
        waiting.filter(is_priority=flag).order_by("seat_rank", "submitted_at", "id").first()
        for flag in (True, False)
        if seat_fits(counts=counts, rules=rules, is_priority=flag)
    ]
    candidates = [c for c in candidates if c is not None]
    return min(candidates, key=lambda a: (a.seat_rank, a.submitted_at, a.pk), default=None)


def _promote(*, counter: SeatCounter, first: Application) -> Application:
    old_rank = first.seat_rank
    first.seat_status, first.seat_rank = SeatStatus.PLACED, counter.placed + 1
    first.save(update_fields=["seat_status", "seat_rank", "updated_at"])
    Application.objects.filter(program_id=counter.pk, seat_status=SeatStatus.WAITLISTED, seat_rank__gt=old_rank).update(
        seat_rank=F("seat_rank") - 1
    )
    counter.placed += 1
    counter.waiting -= 1
    counter.priority_placed += int(first.is_priority)
    counter.priority_waiting -= int(first.is_priority)
    # Not a status change: a step of its own on the timeline, with its message.
    application_progress_record(
        steps=[
            ProgressStep(
                application_id=first.pk,
                action=SEAT_PROMOTE,
                label=_("候补递补成功，获得名额（第%(rank)s位）") % {"rank": first.seat_rank},
                detail={"seat_rank": first.seat_rank},
            )
        ]
    )
    from .stages import stage_due_for_promoted  # late: stages builds on the services

    # A programme in stages: the promoted worker's deadline (at least the stage's grace days).
    stage_due_for_promoted(application=first, now=timezone.now())
    return first


def seat_promote_waiting(*, program: Program, counter: SeatCounter, now: datetime) -> list[Application]:
    """Fill free places from the waitlist, first who fits first (counter locked, saved here)."""
    rules = seat_rules_of(program=program, capacity=seat_capacity_of(program=program), now=now)
    promoted = []
    while (first := _first_fitting(counter=counter, rules=rules)) is not None:
        promoted.append(_promote(counter=counter, first=first))
    counter.save(update_fields=list(COUNTS))
    return promoted


def seat_release_and_promote(*, application: Application) -> Application | None:
    """Free the seat or waitlist slot ``application`` holds and promote the first waitlisted
    who fits.

    Public: withdrawal, rejection (reviews), revocation (payouts), an upheld objection and a
    late resubmit call it after their transition, in the same transaction. Idempotent: an
    application without a seat is left alone. Lock order: programme, application, counter
    (module docstring). Returns the promoted application, if any.
    """
    with transaction.atomic():
        program = _program_lock(application.program_id)
        app = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
        status, rank = app.seat_status, app.seat_rank
        if not status:
            return None
        counter = _counter_lock(program.pk)
        Application.objects.filter(pk=app.pk).update(seat_status=SeatStatus.NONE, seat_rank=None)
        application.seat_status, application.seat_rank = SeatStatus.NONE, None
        Application.objects.filter(program=program, seat_status=status, seat_rank__gt=rank).update(
            seat_rank=F("seat_rank") - 1
        )
        if status == SeatStatus.WAITLISTED:
            counter.waiting -= 1
            counter.priority_waiting -= int(app.is_priority)
            counter.save(update_fields=["waiting", "priority_waiting"])
            return None
        counter.placed -= 1
        counter.priority_placed -= int(app.is_priority)
        promoted = seat_promote_waiting(program=program, counter=counter, now=timezone.now())
        return promoted[0] if promoted else None


def seat_reserved_release(*, program: Program, now: datetime | None = None) -> list[Application]:
    """After the stage-1 window closes, the reserved places nobody in the priority groups
    took go to the waitlist, in its order. Idempotent; run by beat
    (``applications.tasks.seats_release_reserved``) and ``manage.py seats_release_reserved``.
    New submissions and releases apply the same rule on the fly (``seat_rules``)."""
    now = now or timezone.now()
    with transaction.atomic():
        program = _program_lock(program.pk)
        counter = _counter_lock(program.pk)
        promoted = seat_promote_waiting(program=program, counter=counter, now=now)
        if counter.reserved_released_at is None:
            counter.reserved_released_at = now
            counter.save(update_fields=["reserved_released_at"])
            audit_log_write(
                actor=None,
                action=AuditAction.SEAT_RESERVED_RELEASE,
                obj=program,
                detail={"reserved": program.priority_reserved_places, "promoted": [a.pk for a in promoted]},
            )
    return promoted


def seats_release_reserved_due(*, now: datetime | None = None) -> int:
    """Every reserved-places programme whose stage-1 window has closed and whose unused
    reserved places were not handed on yet; returns the applicants promoted."""
    now = now or timezone.now()
    due = Program.objects.filter(
        allocation_mode=AllocationMode.AT_SUBMISSION,
        priority_mode=PriorityMode.RESERVED,
        batches__isnull=False,
    ).exclude(seat_counter__reserved_released_at__isnull=False)
    promoted = 0
    for program in due.distinct().prefetch_related("batches"):
        if not reservation_active(program=program, now=now):
            promoted += len(seat_reserved_release(program=program, now=now))
    return promoted
