"""When an application may be reviewed: the programme's review rounds, or its batch's window.

Reads only. A programme with ``ReviewRound`` rows is reviewed in those rounds, whatever the
batch (Linyi: applications all year, two rounds). A programme without them keeps one round
per batch, the batch's own 审核开始/审核截止 (Jinan). Nothing is written when a round
closes: an unfinished application simply waits at its tier, and is reviewable again when
the next round opens. When no round is left it is *stranded*: only the programme owner's
manager may still decide it (``reviews.services``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Batch, Program

CHINESE_NUMERALS = "零一二三四五六七八九十"


@dataclass(frozen=True)
class Round:
    number: int | None  # None: a batch's own window (no rounds set on the programme)
    opens: datetime
    closes: datetime

    @property
    def name(self) -> str:
        if self.number is None:
            return _("审核期")
        n = self.number
        numeral = CHINESE_NUMERALS[n] if n <= 10 else str(n)
        return _("第%(n)s轮审核期") % {"n": numeral}

    @property
    def span(self) -> str:
        opens, closes = timezone.localtime(self.opens), timezone.localtime(self.closes)
        return f"{opens:%Y-%m-%d %H:%M} 至 {closes:%Y-%m-%d %H:%M}"

    @property
    def starts(self) -> str:
        """How the programme documents name a date: 11月1日起."""
        opens = timezone.localtime(self.opens)
        return _("%(m)d月%(d)d日起") % {"m": opens.month, "d": opens.day}


@dataclass(frozen=True)
class ReviewWindow:
    rounds: tuple[Round, ...]
    current: Round | None  # open now
    next: Round | None  # the next to open, when none is open
    last_closed: Round | None  # the latest that has closed

    @property
    def is_open(self) -> bool:
        # No rounds at all (no batch, no rounds): nothing to enforce.
        return self.current is not None or not self.rounds

    @property
    def stranded(self) -> bool:
        """Every round is over: nobody but the owner's manager can decide it any more."""
        return not self.is_open and self.next is None

    @property
    def waits_for_next(self) -> bool:
        return not self.is_open and self.next is not None

    def resume_text(self) -> str:
        """What the reviewer's and the worker's pages say while the application waits."""
        if self.next is None:
            return ""
        verb = _("继续审核") if self.last_closed is not None else _("开始审核")
        return _("将在%(round)s（%(starts)s）%(verb)s") % {
            "round": self.next.name,
            "starts": self.next.starts,
            "verb": verb,
        }


def rounds_of(*, program: Program, batch: Batch | None) -> tuple[Round, ...]:
    """The rounds in which an application of ``program`` and ``batch`` is reviewed, by
    opening. Uses ``program.review_rounds.all()``: prefetch it for a list."""
    rounds = sorted(program.review_rounds.all(), key=lambda r: (r.opens, r.number))
    if rounds:
        return tuple(Round(r.number, r.opens, r.closes) for r in rounds)
    if batch is None:
        return ()
    return (Round(None, batch.review_opens, batch.review_closes),)


def review_window_of(*, program: Program, batch: Batch | None, now: datetime | None = None) -> ReviewWindow:
    now = now or timezone.now()
    rounds = rounds_of(program=program, batch=batch)
    current = next((r for r in rounds if r.opens <= now <= r.closes), None)
    upcoming = [r for r in rounds if r.opens > now]
    closed = [r for r in rounds if r.closes < now]
    return ReviewWindow(
        rounds=rounds,
        current=current,
        next=None if current else min(upcoming, key=lambda r: r.opens, default=None),
        last_closed=max(closed, key=lambda r: r.closes, default=None),
    )


def review_window_for(*, application, now: datetime | None = None) -> ReviewWindow:
    """The window of one application (``program`` and ``batch`` read through it)."""
    return review_window_of(program=application.program, batch=application.batch, now=now)


@dataclass(frozen=True)
class ClosedBatches:
    waiting: frozenset[int]  # no round open now; a later one will open
    stranded: frozenset[int]  # every round is over


def closed_batches(*, now: datetime | None = None, programs: Iterable[int] | None = None) -> ClosedBatches:
    """Batch ids whose applications cannot be reviewed now, split into waiting for the next
    round and stranded. Batches are few (a handful per programme and year): read them all
    once, so a count over many applications filters on ``batch_id`` alone."""
    now = now or timezone.now()
    batches = Batch.objects.select_related("program").prefetch_related("program__review_rounds")
    if programs is not None:
        batches = batches.filter(program_id__in=list(programs))
    waiting, stranded = set(), set()
    for batch in batches:
        window = review_window_of(program=batch.program, batch=batch, now=now)
        if window.stranded:
            stranded.add(batch.pk)
        elif window.waits_for_next:
            waiting.add(batch.pk)
    return ClosedBatches(waiting=frozenset(waiting), stranded=frozenset(stranded))
