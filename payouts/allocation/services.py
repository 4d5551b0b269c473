"""Writes of the allocation: runs (one transaction, programme row locked) and revocation."""

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application
from applications.priority import priority_labels
from applications.progress import ProgressAction, ProgressStep, application_progress_record
from quotas.jobs import job_claim, job_heartbeat
from quotas.models import (
    AllocationMode,
    Batch,
    FundingSource,
    PayerRule,
    PriorityMode,
    Program,
    Quota,
    SourceApproval,
    TopUpRule,
)
from quotas.permissions import may_run_allocation
from quotas.services import audit_log_write

from ..models import AllocationRun, Award, AwardStatus, AwardVia
from . import engine, explain
from .batch_fill import batch_fill_check
from .rules import batch_award_rows, uses_batch_split

logger = logging.getLogger(__name__)

COMPARED_FIELDS = ("batch_id", "quota_id", "via", "rank", "payer_union_id", "explanation", "amount_yuan")


@dataclass
class SourceOutcome:
    source_id: int
    name: str
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    live: int = 0
    by_via: dict[str, int] = field(default_factory=dict)


@dataclass
class AllocationResult:
    program_id: int
    batch_number: int | None
    dry_run: bool
    sources: list[SourceOutcome] = field(default_factory=list)
    usage: dict[str, list[dict]] = field(default_factory=dict)  # source id -> usage rows
    batches_closed_or_reopened: list[dict] = field(default_factory=list)  # see batch_fill

    def as_dict(self) -> dict:
        return asdict(self)


def _check_actor(*, actor: AbstractBaseUser | None, program: Program) -> None:
    """``actor=None`` is the operator at the shell (``manage.py allocate``); every web
    caller passes its user, who must be a manager of the programme's owner or above."""
    if actor is None:
        return
    may_run_allocation(user=actor, program=program).require()


def sources_in_order(program: Program) -> list[FundingSource]:
    """Own-money sources first, then each matching source after the source it follows."""
    # Only approved sources allocate: a top-up waits for the owner's consent.
    pending = list(
        program.sources.filter(approval=SourceApproval.APPROVED)
        .select_related("payer_union", "matching_of", "scope_union")
        .order_by("position", "id")
    )
    ordered: list[FundingSource] = []
    done: set[int] = set()
    while pending:
        ready = [s for s in pending if s.matching_of_id is None or s.matching_of_id in done]
        if not ready:
            raise ValidationError(_("补助来源的配套关系形成循环，请检查设置。"))
        for source in ready:
            ordered.append(source)
            done.add(source.pk)
            pending.remove(source)
    return ordered


def _priority_groups_of(ids: list[int]) -> dict[int, str]:
    """The priority groups each applicant had at submission (the snapshot), as one line."""
    rows = Application.objects.filter(pk__in=ids, is_priority=True).values_list("pk", "priority_groups")
    return {pk: priority_labels(groups) for pk, groups in rows}


def _rows_for(*, source: FundingSource, scope: engine.Scope, program: Program) -> list[dict]:
    """The awards this source should have in the scope, computed by one query."""
    payer = source.payer_union_id if source.payer_rule == PayerRule.FIXED else None
    if source.is_topup:
        return _topup_rows(source=source, scope=scope)
    if source.matching_of_id is not None:
        base = source.matching_of
        rows = engine.matching_rows(source_id=source.pk, base_source_id=base.pk, scope=scope)
        if source.total_slots is not None:
            rows = rows[: source.total_slots]
        out = []
        for r in rows:
            payer_id = r["county_id"] if source.payer_rule == PayerRule.APPLICANT_COUNTY else payer
            if payer_id is None and source.payer_rule == PayerRule.APPLICANT_COUNTY:
                continue  # not under any county federation: no county matching money
            out.append({**r, "via": AwardVia.MATCHING, "quota_id": None, "payer_union_id": payer_id})
        names = _union_names({r["payer_union_id"] for r in out if r["payer_union_id"]})
        for r in out:
            payer_label = names.get(r["payer_union_id"]) or source.payer_display
            r["explanation"] = explain.matching(
                base_name=base.name, base_explanation=r.pop("base_explanation"), payer=payer_label
            )
            r.pop("county_id")
        return out
    if program.allocation_mode == AllocationMode.AT_SUBMISSION:
        rows = engine.global_rows(source_id=source.pk, scope=scope, total_slots=source.total_slots or 0, seats=True)
        mode = program.get_priority_mode_display() if program.priority_mode != PriorityMode.NONE else ""
        groups = _priority_groups_of([r["id"] for r in rows]) if mode else {}
        return [
            _row(
                r,
                via=AwardVia.SEAT,
                rank=r["seat_rank"] or r["rank"],
                payer=payer,
                text=explain.seat_funded(row=r, priority_mode=str(mode), priority_groups=groups.get(r["id"], "")),
            )
            for r in rows
        ]
    if source.uses_unit_quotas:
        labels = {q.pk: str(q) for q in Quota.objects.filter(source=source).select_related("union")}
        rows = engine.unit_rows(source_id=source.pk, scope=scope, total_slots=source.total_slots)
        out = []
        for r in rows:
            label = labels.get(r["quota_id"])
            if r["is_over"] == 0:
                text = explain.unit_funded(row=r, unit_label=label)
                out.append(
                    _row(r, via=AwardVia.UNIT_QUOTA, rank=r["unit_rank"] + r["unit_held"], payer=payer, text=text)
                )
            else:
                text = explain.pool_funded(row=r, unit_label=label)
                rank = r["pool_rank"] + r["pool_held"]
                out.append({**_row(r, via=AwardVia.POOL, rank=rank, payer=payer, text=text), "quota_id": None})
        return out
    if uses_batch_split(source):
        rows = batch_award_rows(source=source, scope=scope)
        if rows is not None:
            return [_row(r, via=AwardVia.BATCH_SHARE, rank=r["rank"], payer=payer, text=r["text"]) for r in rows]
    total = source.total_slots or 0
    rows = engine.global_rows(source_id=source.pk, scope=scope, total_slots=total)
    return [
        _row(
            r,
            via=AwardVia.TOTAL,
            rank=r["rank"] + r["held_n"],
            payer=payer,
            text=explain.global_funded(row=r, total_slots=total),
        )
        for r in rows
    ]


def _topup_rows(*, source: FundingSource, scope: engine.Scope) -> list[dict]:
    """A union's own money for its own subtree (多重补助): FCFS inside the subtree among
    every approved member (``ALL_APPROVED``: no cap unless places are set; ``FCFS``: its
    places), or among those the named base source funds (``FUNDED_BY``). Paid by the
    union (its manager builds and exports the list)."""
    union = source.scope_union
    path = union.path
    where = explain.scope_word(union_name=union.name, level=union.level)
    slots = source.total_slots
    base_name = None
    if source.topup_rule == TopUpRule.FUNDED_BY:
        base_name = source.matching_of.name
        rows = engine.matching_rows(
            source_id=source.pk, base_source_id=source.matching_of_id, scope=scope, subtree_path=path
        )
        held = engine.held_count(source_id=source.pk, scope=scope)
        rows = [{**r, "rank": i, "held_n": held} for i, r in enumerate(rows, start=1)]
        if slots is not None:
            rows = rows[: max(slots - held, 0)]
    else:
        rows = engine.global_rows(source_id=source.pk, scope=scope, total_slots=slots, subtree_path=path)
    payer_label = source.payer_display
    return [
        _row(
            r,
            via=AwardVia.TOPUP,
            rank=r["rank"] + r["held_n"],
            payer=source.payer_union_id,
            text=explain.topup_funded(
                payer=payer_label,
                amount=source.amount_yuan,
                where=where,
                position=r["rank"] + r["held_n"],
                slots=slots,
                base_name=base_name,
            ),
        )
        for r in rows
    ]


def _row(r: dict, *, via: str, rank: int, payer: int | None, text: str) -> dict:
    return {
        "id": r["id"],
        "batch_id": r["batch_id"],
        "quota_id": r.get("quota_id"),
        "via": via,
        "rank": rank,
        "payer_union_id": payer,
        "explanation": text,
    }


def _union_names(ids: set[int]) -> dict[int, str]:
    from quotas.models import Union

    return dict(Union.objects.filter(pk__in=ids).values_list("pk", "name"))


def _proposed_in_scope(*, source: FundingSource, scope: engine.Scope):
    qs = Award.objects.filter(source=source, status=AwardStatus.PROPOSED, application__program_id=scope.program_id)
    if scope.max_batch is not None:
        qs = qs.filter(Q(application__batch__isnull=True) | Q(application__batch__number__lte=scope.max_batch))
    return qs


def _apply(
    *, source: FundingSource, rows: list[dict], scope: engine.Scope, run: AllocationRun | None, moves: "AwardMoves"
) -> SourceOutcome:
    """Make the scope's PROPOSED awards equal ``rows``: delete, update, create in bulk.
    An unchanged award keeps its id, so a second run writes nothing at all. Who gained or
    lost this source's money is added to ``moves`` (the workers are told)."""
    outcome = SourceOutcome(source_id=source.pk, name=source.name)
    wanted = {r["id"]: {**r, "amount_yuan": source.amount_yuan} for r in rows}
    existing = {a.application_id: a for a in _proposed_in_scope(source=source, scope=scope)}
    stale_apps = existing.keys() - wanted.keys()
    stale = [existing[app_id].pk for app_id in stale_apps]
    if stale:
        Award.objects.filter(pk__in=stale).delete()
    changed, new = [], []
    for app_id, values in wanted.items():
        award = existing.get(app_id)
        if award is None:
            new.append(
                Award(
                    application_id=app_id,
                    source=source,
                    run=run,
                    status=AwardStatus.PROPOSED,
                    **{f: values[f] for f in COMPARED_FIELDS},
                )
            )
        elif any(getattr(award, f) != values[f] for f in COMPARED_FIELDS):
            for f in COMPARED_FIELDS:
                setattr(award, f, values[f])
            award.run = run
            changed.append(award)
        else:
            outcome.unchanged += 1
    if changed:
        Award.objects.bulk_update(changed, [*COMPARED_FIELDS, "run"], batch_size=500)
    if new:
        Award.objects.bulk_create(new, batch_size=2000)
    for award in new:
        moves.won[award.application_id].append(f"{source.name}{source.amount_yuan}元")
    for app_id in stale_apps:
        moves.lost[app_id].append(source.name)
    outcome.created, outcome.updated, outcome.deleted = len(new), len(changed), len(stale)
    live = Award.objects.filter(source=source).live()
    outcome.by_via = dict(live.order_by().values("via").annotate(n=Count("id")).values_list("via", "n"))
    outcome.live = sum(outcome.by_via.values())
    return outcome


@dataclass
class AwardMoves:
    """Per application: the money a run newly proposes, and the money it no longer does."""

    won: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    lost: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))

    def steps(self) -> list[ProgressStep]:
        told = (
            (
                self.won,
                ProgressAction.AWARD_PROPOSED,
                _("拟获补助：%(items)s"),
                _("名单公示期满且无异议后发放到本人银行卡。"),
            ),
            (
                self.lost,
                ProgressAction.AWARD_WITHDRAWN,
                _("补助名额调整：暂不拟发%(items)s"),
                _("按提交先后重新分配后，本项名额已满；如有名额空出，将按顺序递补。"),
            ),
        )
        return [
            ProgressStep(application_id=app_id, action=action, label=label % {"items": "、".join(items)}, reason=reason)
            for by_application, action, label, reason in told
            for app_id, items in sorted(by_application.items())
        ]


def _allocate_sources(
    *,
    program: Program,
    sources: list[FundingSource],
    scope: engine.Scope,
    run: AllocationRun | None,
    on_progress,
    moves: AwardMoves,
) -> list[SourceOutcome]:
    outcomes = []
    for i, source in enumerate(sources, start=1):
        rows = _rows_for(source=source, scope=scope, program=program)
        outcomes.append(_apply(source=source, rows=rows, scope=scope, run=run, moves=moves))
        if on_progress is not None:
            on_progress(10 + int(80 * i / len(sources)), _("已完成：%(name)s") % {"name": source.name})
    return outcomes


def allocation_run(
    *,
    program: Program,
    batch: Batch | None = None,
    actor: AbstractBaseUser | None,
    dry_run: bool = False,
    run: AllocationRun | None = None,
    on_progress=None,
) -> AllocationResult:
    """Allocate every source of the programme for the applications of batches up to
    ``batch`` (all when None). One transaction with the programme row locked first, so
    two runs at once serialise and the second finds nothing to change. ``dry_run``
    computes exactly the same inside the transaction and rolls it back."""
    from .selectors import quota_usage  # reads the awards written inside this transaction

    _check_actor(actor=actor, program=program)
    if batch is not None and batch.program_id != program.pk:
        raise ValidationError(_("所选批次不属于该实施方案。"))
    scope = engine.Scope(program_id=program.pk, max_batch=batch.number if batch else None)
    with transaction.atomic():
        locked = Program.objects.select_for_update(no_key=True).select_related("owner_union").get(pk=program.pk)
        engine.tune_session()
        sources = sources_in_order(locked)
        result = AllocationResult(program_id=locked.pk, batch_number=scope.max_batch, dry_run=dry_run)
        moves = AwardMoves()
        result.sources = _allocate_sources(
            program=locked,
            sources=sources,
            scope=scope,
            run=None if dry_run else run,
            on_progress=on_progress,
            moves=moves,
        )
        result.usage = {str(s.pk): [asdict(u) for u in quota_usage(source=s)] for s in sources}
        if dry_run:
            transaction.set_rollback(True)
        else:
            audit_log_write(
                actor=actor,
                action="allocation.run",
                obj=locked,
                detail={
                    "batch": scope.max_batch,
                    "run": run.pk if run else None,
                    "sources": [asdict(o) for o in result.sources],
                },
            )
            # Each worker whose money changed sees it on the timeline (and gets a message).
            application_progress_record(steps=moves.steps())
            # The awards just written may have used the last place: a later batch that
            # skips when the places are gone closes now, not at the next tick.
            result.batches_closed_or_reopened = batch_fill_check(program=locked, actor=actor)
    return result


def allocation_run_start(
    *, program: Program, batch: Batch | None, actor: AbstractBaseUser, dry_run: bool = False
) -> AllocationRun:
    """Queue a run for the Celery worker (the admin page's button)."""
    from ..tasks.allocation import allocation_run_task

    if actor is None:
        raise PermissionDenied(_("请由本方案主办工会的管理员在页面上发起分配。"))
    _check_actor(actor=actor, program=program)
    with transaction.atomic():
        run = AllocationRun.objects.create(program=program, batch=batch, requested_by=actor, dry_run=dry_run)
        audit_log_write(
            actor=actor,
            action="allocation.start",
            obj=run,
            detail={"program": program.slug, "batch": batch.number if batch else None, "dry_run": dry_run},
        )
        transaction.on_commit(lambda: allocation_run_task.delay(run.pk))
    return run


def _run_update(run: AllocationRun, **values) -> None:
    AllocationRun.objects.filter(pk=run.pk).update(**values)
    for key, value in values.items():
        setattr(run, key, value)


def allocation_run_execute(*, run: AllocationRun) -> AllocationRun:
    """The worker's side of a queued run. Idempotent: the run is claimed first (see
    ``quotas.jobs.job_claim``), so a finished or failed run, or one another worker is
    running, is not redone; a rerun is a new run, which finds nothing left to change.

    Progress and heartbeat go through the job reporter's own connection: they must be
    visible while the allocation transaction is still open. A worker killed mid-run
    leaves no awards (PostgreSQL rolls the transaction back) and a heartbeat that stops;
    the watchdog then fails the run and the page offers to run it again."""
    if not job_claim(model=AllocationRun, pk=run.pk, message=_("正在分配……")):
        run.refresh_from_db()
        return run
    run.refresh_from_db()
    with job_heartbeat(model=AllocationRun, pk=run.pk) as report:
        try:
            result = allocation_run(
                program=run.program,
                batch=run.batch,
                actor=run.requested_by,
                dry_run=run.dry_run,
                run=run,
                on_progress=report,
            )
        except (PermissionDenied, ValidationError) as exc:
            message = "; ".join(getattr(exc, "messages", None) or [str(exc)])
            _run_update(run, status=AllocationRun.Status.FAILED, message=message, finished_at=timezone.now())
            return run
        except Exception as exc:
            logger.exception("allocation run %s failed", run.pk)
            _run_update(run, status=AllocationRun.Status.FAILED, message=str(exc)[:500], finished_at=timezone.now())
            raise
    _run_update(
        run,
        status=AllocationRun.Status.DONE,
        progress=100,
        message=_("模拟运行完成，未写入任何数据") if run.dry_run else _("分配完成"),
        result=result.as_dict(),
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    return run


def _follows(source: FundingSource, base: FundingSource) -> bool:
    """``source`` is ``base`` or (transitively) matches it."""
    while source is not None:
        if source.pk == base.pk:
            return True
        source = source.matching_of
    return False
