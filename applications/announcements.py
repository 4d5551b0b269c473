"""What the applications app announces, and who listens.

The money lives in ``payouts``, above this app: ``applications`` may not import it, yet a
withdrawal must void the awards in the same transaction. So this app announces its steps
and the apps above register listeners in their ``AppConfig.ready``.

Why a small registry and not Django signals: a listener here is part of the transaction's
correctness (voiding the money), not an optional side effect. The registry is typed, its
listeners run in registration order inside the caller's transaction, an exception in any
of them rolls the whole step back (a signal's ``send_robust`` would swallow it), and
``listeners_of`` lets a test assert that the reactions are wired at all.

Announcements:

- ``TRANSITION_CHECK`` (``Transition``) before a status change is written: a listener
  refuses by raising ``ValidationError`` with a message for the page (e.g. money already
  paid: no withdrawal).
- ``TRANSITION_DONE`` (``Transition``) after the change and its event are written, in the
  same transaction (e.g. void the unpaid awards, free the place for the next in line).
- ``CONSEQUENCES`` (``Consequences``) asked by pages before an action is offered: each
  listener appends warnings ("撤回后将放弃已拟发的补助") or a refusal.
- ``CHECKS_STALE`` (``ChecksStale``) when something the reviewers' automatic checks read
  changed outside the state machine (a profile saved, a 学信网 report read): the reviews
  app checks those applications again after the commit.
- ``PROFILE_CHANGE_PENDING`` / ``PROFILE_CHANGE_DECIDED`` (``ProfileChangeNotice``) when a
  change of card, name, employer or union of a worker with approved money is held for
  review, and when it is confirmed or refused.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Announcement(StrEnum):
    TRANSITION_CHECK = "transition_check"
    TRANSITION_DONE = "transition_done"
    CONSEQUENCES = "consequences"
    CHECKS_STALE = "checks_stale"
    PROFILE_CHANGE_PENDING = "profile_change_pending"
    PROFILE_CHANGE_DECIDED = "profile_change_decided"
    # The money of an application, for the worker's page: every source that pays it.
    MONEY_SHOWN = "money_shown"


@dataclass(frozen=True)
class Transition:
    """One status change of one application; ``application`` is the locked row."""

    application: Any  # applications.models.Application (no import: models import nothing here)
    action: str
    from_status: str
    to_status: str
    actor: Any
    reason: str = ""


@dataclass
class Consequences:
    """What an action would do to an application, for the page that offers it."""

    application: Any
    action: str
    warnings: list[str] = field(default_factory=list)
    refusal: str = ""


@dataclass
class MoneyLines:
    """Filled by the payouts app: one dict per source paying the application (source,
    amount_yuan, payer, status, explanation)."""

    application: Any
    lines: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class ChecksStale:
    application_ids: tuple[int, ...]


@dataclass(frozen=True)
class ProfileChangeNotice:
    worker: Any  # applications.models.Worker
    change: Any  # the pending change row
    confirmed: bool | None = None  # None while pending


_listeners: dict[Announcement, list[Callable[[Any], None]]] = defaultdict(list)


def listen(announcement: Announcement, listener: Callable[[Any], None]) -> None:
    """Register ``listener`` once (``ready`` may run twice in some test runners)."""
    if listener not in _listeners[announcement]:
        _listeners[announcement].append(listener)


def listeners_of(announcement: Announcement) -> list[Callable[[Any], None]]:
    return list(_listeners[announcement])


def announce(announcement: Announcement, payload: Any) -> Any:
    """Call every listener with ``payload``, in the caller's transaction; returns it."""
    for listener in _listeners[announcement]:
        listener(payload)
    return payload


def consequences_of(*, application: Any, action: str) -> Consequences:
    return announce(Announcement.CONSEQUENCES, Consequences(application=application, action=action))


def checks_stale(*, application_ids) -> None:
    ids = tuple(application_ids)
    if ids:
        announce(Announcement.CHECKS_STALE, ChecksStale(application_ids=ids))


def money_lines_of(*, application: Any) -> list[dict]:
    return announce(Announcement.MONEY_SHOWN, MoneyLines(application=application)).lines
