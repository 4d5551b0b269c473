"""Risk flags computed once and stored (``FlagCheck``): the queue, the review page, the
risk filter and the desk read the stored result; nothing is checked on a page view.

When: a submission or any other step of the state machine that changes what the checks
see (``TRANSITION_DONE``), a changed profile or a confirmed held change, a 学信网 report
read (``CHECKS_STALE``) and a roster re-imported (``quotas.rosters.roster_replaced``). The
step marks the check 核对中 after its commit and queues a Celery task; the task computes
the flags of the whole set at once (``flags.flags_for_applications``) and then once more
for every application a flag names, before or after, so both sides of a shared card or a
copied paper say so. A task that never runs (broker down, worker killed) is caught by the
beat sweep: a check 核对中 for longer than ``STALE_AFTER`` is run again.

The decision itself does not trust the stored result: ``services.application_approve``
checks again on the locked row, so a flag that appeared since the page was drawn is still
acknowledged before the money moves.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from applications.models import Application, ApplicationStatus

from .flag_types import Flag
from .flags import flags_for_applications
from .membership import Membership, membership_for_applications
from .models import FlagCheck, FlagCheckState

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=5)
# The stored checks as filters of an application queryset (the risk filter, the desk):
# flagged, and not checked yet (queued, or never: its task or the sweep will).
FLAGGED = Q(flag_check__flag_count__gt=0)
CHECK_PENDING = Q(flag_check__state=FlagCheckState.PENDING) | Q(flag_check__isnull=True)
SWEEP_BATCH = 500


@dataclass(frozen=True)
class StoredFlags:
    flags: list[Flag] = field(default_factory=list)
    pending: bool = False
    membership: Membership | None = None


def flag_checks_queue(*, application_ids: Iterable[int]) -> None:
    """Mark the checks 核对中 and queue their run, after the caller's commit (the submit's
    seat statement stays the last one of its transaction, see ``applications.seats``)."""
    ids = sorted({int(i) for i in application_ids})
    if ids:
        transaction.on_commit(lambda: _queue_now(ids))


def _queue_now(ids: list[int]) -> None:
    from .tasks import flag_checks_run_task

    now = timezone.now()
    # One upsert: new rows 核对中, existing ones back to 核对中 (their flags kept meanwhile).
    FlagCheck.objects.bulk_create(
        [FlagCheck(application_id=i, state=FlagCheckState.PENDING, queued_at=now) for i in ids],
        update_conflicts=True,
        unique_fields=["application"],
        update_fields=["state", "queued_at"],
    )
    for start in range(0, len(ids), SWEEP_BATCH):  # a roster re-import may touch thousands
        chunk = ids[start : start + SWEEP_BATCH]
        try:
            flag_checks_run_task.delay(chunk)
        except Exception:  # the broker is down: the sweep runs them when it is back
            logger.warning("flag checks %s… not queued; the sweep will run them", chunk[:5], exc_info=True)


def codes_field(flags: list[Flag]) -> str:
    codes = sorted({f.code for f in flags})
    return f"|{'|'.join(codes)}|" if codes else ""


def _named(checks: Iterable[list[dict]]) -> set[int]:
    return {o["pk"] for flags in checks for f in flags for o in f.get("others", []) if o.get("pk")}


def flag_checks_run(*, application_ids: Iterable[int], cascade: bool = True) -> dict[int, list[Flag]]:
    """Compute and store the flags of these applications (drafts have none); with
    ``cascade``, then those of every application named by a flag, before or after."""
    ids = sorted({int(i) for i in application_ids})
    apps = list(
        Application.objects.filter(pk__in=ids)
        .exclude(status=ApplicationStatus.DRAFT)
        .select_related("worker", "program")
    )
    before = dict(
        FlagCheck.objects.filter(application_id__in=[a.pk for a in apps]).values_list("application_id", "flags")
    )
    flags = flags_for_applications(apps)
    memberships = membership_for_applications(apps)  # the review page's 会员核对, stored too
    now = timezone.now()
    FlagCheck.objects.bulk_create(
        [
            FlagCheck(
                application_id=a.pk,
                state=FlagCheckState.DONE,
                flags=[f.as_dict() for f in flags[a.pk]],
                flag_count=len(flags[a.pk]),
                codes=codes_field(flags[a.pk]),
                membership=memberships[a.pk].as_dict(),
                queued_at=now,
                checked_at=now,
            )
            for a in apps
        ],
        update_conflicts=True,
        unique_fields=["application"],
        update_fields=["state", "flags", "flag_count", "codes", "membership", "checked_at"],
    )
    if cascade:
        after = [[f.as_dict() for f in fl] for fl in flags.values()]
        others = (_named(before.values()) | _named(after)) - set(ids)
        if others:
            flag_checks_run(application_ids=others, cascade=False)
    return flags


def _stored(rows) -> dict[int, StoredFlags]:
    return {
        c.application_id: StoredFlags(
            [Flag.from_dict(d) for d in c.flags],
            c.state == FlagCheckState.PENDING,
            Membership.from_dict(c.membership) if c.membership else None,
        )
        for c in rows
    }


def _read(ids: list[int]):
    return FlagCheck.objects.filter(application_id__in=ids).only("application_id", "state", "flags", "membership")


def stored_flags_for(applications: Iterable[Application]) -> dict[int, StoredFlags]:
    """The stored flags of a page of applications: one query. An application never
    checked (submitted before this existed) is checked now, once, and stored."""
    apps = list(applications)
    result = _stored(_read([a.pk for a in apps]))
    missing = [a.pk for a in apps if a.pk not in result and a.status != ApplicationStatus.DRAFT]
    if missing:
        flag_checks_run(application_ids=missing, cascade=False)
        result.update(_stored(_read(missing)))
    for a in apps:
        result.setdefault(a.pk, StoredFlags())
    return result


def flag_checks_sweep(*, now=None) -> int:
    """Beat: run again the checks left 核对中 (their task was lost), a batch at a time."""
    now = now or timezone.now()
    ids = list(
        FlagCheck.objects.filter(state=FlagCheckState.PENDING, queued_at__lt=now - STALE_AFTER)
        .order_by("queued_at")
        .values_list("application_id", flat=True)[:SWEEP_BATCH]
    )
    if ids:
        flag_checks_run(application_ids=ids)
    return len(ids)
