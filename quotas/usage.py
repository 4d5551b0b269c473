"""What the apps above tell quotas about its rows: places already given, live reviews.

``quotas`` is the lowest app: it may not import ``applications`` or ``payouts``, yet a
quota row must never drop below the places its published or paid awards use, and a union
that a live review chain passes through must not change level or parent. So the apps above
register two counters here in their ``AppConfig.ready`` (``payouts`` does, being able to
see both awards and applications) and the quota and union services ask them.

Like ``applications.announcements`` this is a small typed registry rather than a signal:
the answer is part of the write's correctness, so a missing counter raises instead of
quietly answering 0.
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .models import Quota, Union

# quota rows -> {quota id: places given (awards published, paid or failed using the row)}
QuotaGivenCounter = Callable[[Sequence["Quota"]], dict[int, int]]


class UnionLive(NamedTuple):
    """Applications that depend on a union's place in the tree as it is now."""

    in_review: int  # under review with the union on their chain, or their worker below it
    awaiting_money: int  # approved under it, not yet paid (their path decides the unit quota)


UnionLiveCounter = Callable[["Union"], UnionLive]

_quota_given: list[QuotaGivenCounter] = []
_union_live: list[UnionLiveCounter] = []


def quota_given_counter_set(counter: QuotaGivenCounter) -> None:
    """Register the counter (once: ``ready`` may run twice in some test runners)."""
    _quota_given[:] = [counter]


def union_live_counter_set(counter: UnionLiveCounter) -> None:
    _union_live[:] = [counter]


def quota_given_counts(quotas: Sequence["Quota"]) -> dict[int, int]:
    """Places already given of each row (missing rows: 0). Call with the rows locked."""
    if not _quota_given:
        raise RuntimeError("no quota usage counter registered (payouts.apps.PayoutsConfig.ready)")
    counts = _quota_given[0](quotas) if quotas else {}
    return {q.pk: counts.get(q.pk, 0) for q in quotas}


def union_live_reviews(union: "Union") -> UnionLive:
    if not _union_live:
        raise RuntimeError("no live-review counter registered (payouts.apps.PayoutsConfig.ready)")
    return _union_live[0](union)


def quota_floor_message(*, quota: "Quota", given: int, slots: int) -> str:
    """Why ``slots`` is refused for a row that has given ``given`` places."""
    return _("「%(unit)s」：该单位已公示/发放 %(n)s 个名额，名额不能少于 %(n)s（少 %(m)s 个）") % {
        "unit": quota,
        "n": given,
        "m": given - slots,
    }
