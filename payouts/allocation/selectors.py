"""Reads of the allocation: per-unit usage and why an application got (or not) its money.

Why unfunded applicants get no stored row: a run writes O(awards) rows, not
O(applicants) — a million unfunded outcome rows per source would cost more than the
allocation itself. The engine's ranking is deterministic, so the reason for an unfunded
application is recomputed on demand by the very same SQL, read for that one application
(one query per source). Funded applications read the sentence stored on their award.
"""

# Only table names (from model metadata) and fixed SQL fragments are formatted into these
# queries; every value travels as a bound parameter.
# ruff: noqa: S608

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationStatus, SeatStatus
from quotas.models import AllocationMode, FundingSource, PayerRule, Quota, TopUpRule
from quotas.selectors import county_of

from ..models import Award, AwardVia
from . import engine, explain
from .rules import batch_plan_of, uses_batch_split

FUNDED_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.PAID)


@dataclass
class UnitUsage:
    position: int
    label: str
    union_id: int | None
    is_pool: bool
    slots: int
    approved: int  # approved (or paid) applicants belonging to this row
    awarded: int  # awards using this row's slots
    awarded_elsewhere: int  # this unit's applicants served by the city pool
    unfunded: int  # approved applicants of this row without the money
    waitlisted: int
    remaining: int


def quota_usage(*, source: FundingSource) -> list[UnitUsage]:
    """One row per line of the quota table (units, then the pool), or per batch share,
    or one line for the whole programme; the last row is the total (合计)."""
    if source.uses_unit_quotas:
        rows = _unit_usage(source)
    elif uses_batch_split(source) and source.program.batches.exists():
        rows = _batch_usage(source)
    else:
        rows = _single_usage(source)
    total = UnitUsage(
        position=0,
        label=str(_("合计")),
        union_id=None,
        is_pool=False,
        slots=sum(r.slots for r in rows),
        approved=sum(r.approved for r in rows),
        awarded=sum(r.awarded for r in rows),
        awarded_elsewhere=0,
        unfunded=sum(r.unfunded for r in rows),
        waitlisted=sum(r.waitlisted for r in rows),
        remaining=sum(r.remaining for r in rows),
    )
    return [*rows, total]


def _unit_usage(source: FundingSource) -> list[UnitUsage]:
    unit_of, unit_params = engine.unit_of_cte(apps_cte="apps", source_id=source.pk)
    # Count per union path first (a few hundred groups), and count awards from the award
    # side (a few thousand rows): no join of a million applications to their awards.
    sql = f"""
    WITH apps AS (
      SELECT a.union_path, count(*) AS n FROM {engine.A} a
      WHERE a.program_id = %s AND a.status IN ('approved', 'paid')
      GROUP BY a.union_path
    ),
    {unit_of},
    aw AS (
      SELECT a.union_path, count(*) AS n, sum(CASE WHEN x.via = 'pool' THEN 1 ELSE 0 END) AS pool_n
      FROM {engine.X} x JOIN {engine.A} a ON a.id = x.application_id
      WHERE x.source_id = %s AND x.status NOT IN ('revoked', 'void') AND a.status IN ('approved', 'paid')
      GROUP BY a.union_path
    )
    SELECT uo.quota_id, sum(apps.n), sum(COALESCE(aw.pool_n, 0)), sum(apps.n - COALESCE(aw.n, 0))
    FROM apps LEFT JOIN unit_of uo ON uo.union_path = apps.union_path
    LEFT JOIN aw ON aw.union_path = apps.union_path
    GROUP BY uo.quota_id"""
    with connection.cursor() as cur:
        cur.execute(sql, [source.program_id, *unit_params, source.pk])
        by_quota = {row[0]: tuple(int(v or 0) for v in row[1:]) for row in cur.fetchall()}
    used = dict(
        Award.objects.filter(source=source, quota__isnull=False)
        .live()
        .values("quota_id")
        .annotate(n=Count("id"))
        .values_list("quota_id", "n")
    )
    pool_used = Award.objects.filter(source=source, via=AwardVia.POOL).live().count()
    rows = []
    for q in Quota.objects.filter(source=source).select_related("union").order_by("is_pool", "position", "id"):
        if q.is_pool:
            # Applicants whose union has no row of the table only ever reach the pool.
            approved, _pool, unfunded = by_quota.get(None, (0, 0, 0))
            awarded = pool_used
            rows.append(
                UnitUsage(q.position, str(q), None, True, q.slots, approved, awarded, 0, unfunded, 0, q.slots - awarded)
            )
            continue
        approved, via_pool, unfunded = by_quota.get(q.pk, (0, 0, 0))
        awarded = used.get(q.pk, 0)
        rows.append(
            UnitUsage(
                q.position,
                str(q),
                q.union_id,
                False,
                q.slots,
                approved,
                awarded,
                via_pool or 0,
                unfunded or 0,
                0,
                q.slots - awarded,
            )
        )
    return rows


def _live_awards(source: FundingSource):
    return Award.objects.filter(source=source).live()


def _batch_usage(source: FundingSource) -> list[UnitUsage]:
    """Per batch: its share, its approved applicants, the awards they hold (of which
    ``awarded_elsewhere`` beyond the share: places passed on from batches that could not use
    them), and what is left — a batch that passed places on shows them as used."""
    plan = batch_plan_of(source=source, scope=engine.Scope(program_id=source.program_id))
    shares = plan.split
    apps = Application.objects.filter(program_id=source.program_id, status__in=FUNDED_STATUSES)
    approved = dict(apps.values("batch_id").annotate(n=Count("id")).values_list("batch_id", "n"))
    awarded = dict(_live_awards(source).values("batch_id").annotate(n=Count("id")).values_list("batch_id", "n"))
    passed_on = sum(max(awarded.get(b, 0) - s, 0) for b, s in shares.shares.items())
    rows = []
    for batch_id, number in shares.numbers.items():
        a, w, s = approved.get(batch_id, 0), awarded.get(batch_id, 0), shares.shares[batch_id]
        left = max(s - w, 0)
        if number in plan.donors:
            given = min(passed_on, left)
            passed_on -= given
            left -= given
        label = _("第%(n)s批") % {"n": number}
        rows.append(UnitUsage(number, label, None, False, s, a, w, max(w - s, 0), a - w, 0, left))
    return rows


def _single_usage(source: FundingSource) -> list[UnitUsage]:
    apps = Application.objects.filter(program_id=source.program_id)
    if source.is_topup:
        # A top-up counts its own subtree only (one prefix range of the applications).
        apps = apps.filter(union_path__startswith=source.scope_union.path)
    counts = apps.aggregate(
        approved=Count("id", filter=Q(status__in=FUNDED_STATUSES)),
        waitlisted=Count("id", filter=Q(seat_status=SeatStatus.WAITLISTED)),
    )
    awarded = _live_awards(source).count()
    slots = source.total_slots if source.total_slots is not None else awarded
    label = source.scope_union.name if source.is_topup else source.program.owner_union.name
    # At most one live award per application and source: the funded among the approved
    # are counted from the award side instead of excluding them from a million rows.
    funded = _live_awards(source).filter(application__status__in=FUNDED_STATUSES).count()
    unfunded = counts["approved"] - funded
    return [
        UnitUsage(
            1,
            label,
            None,
            False,
            slots,
            counts["approved"],
            awarded,
            0,
            unfunded,
            counts["waitlisted"],
            slots - awarded,
        )
    ]


# --- explanations -------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    source_id: int
    source_name: str
    funded: bool
    amount_yuan: int
    text: str
    status: str = ""


def allocation_explain(*, application: Application) -> list[Explanation]:
    """Per source of the programme: the stored sentence of a live award, else the reason
    recomputed from the current ranking (as a whole-programme run would see it now)."""
    from .services import sources_in_order

    program = application.program
    awards = {a.source_id: a for a in application.awards.live()}
    revoked = {a.source_id: a for a in application.awards.ended()}
    out = []
    for source in sources_in_order(program):
        award = awards.get(source.pk)
        if award is None and source.is_topup and not application.union_path.startswith(source.scope_union.path):
            continue  # another union's own money: not this worker's business
        if award is not None:
            out.append(
                Explanation(
                    source.pk, source.name, True, award.amount_yuan, award.explanation, award.get_status_display()
                )
            )
            continue
        if source.pk in revoked:
            text = revoked[source.pk].explanation
        else:
            text = _unfunded_reason(application=application, source=source, awards=awards)
        out.append(Explanation(source.pk, source.name, False, 0, text))
    return out


def _unfunded_reason(*, application: Application, source: FundingSource, awards: dict) -> str:
    program = application.program
    at_submission = program.allocation_mode == AllocationMode.AT_SUBMISSION
    if at_submission and source.matching_of_id is None and application.seat_status == SeatStatus.WAITLISTED:
        return _("候补第%(rank)s位") % {"rank": application.seat_rank}
    if application.status not in FUNDED_STATUSES:
        return _("申请状态为“%(status)s”，终审通过后参加分配") % {"status": application.get_status_display()}
    scope = engine.Scope(program_id=program.pk)
    if source.is_topup:
        return _topup_unfunded_reason(application=application, source=source, awards=awards, scope=scope)
    if source.matching_of_id is not None:
        if source.matching_of_id not in awards:
            return _("未获%(base)s，无配套补助") % {"base": source.matching_of.name}
        if source.payer_rule == PayerRule.APPLICANT_COUNTY and county_of(application.worker.union) is None:
            return _("所在单位不属于县区总工会，无县区配套补助")
        return _("待下次分配时按%(base)s配套") % {"base": source.matching_of.name}
    if at_submission:
        if application.seat_status != SeatStatus.PLACED:
            return _("未占到名额（名额已满）")
        return _("已占名额第%(rank)s位，待运行分配") % {"rank": application.seat_rank}
    if source.uses_unit_quotas:
        row = engine.unit_position_of(source_id=source.pk, scope=scope, application_id=application.pk)
        if row is None:
            return _("待运行分配")
        if row["total_rank"] is not None and (
            source.total_slots is None or row["total_rank"] <= source.total_slots - row["total_held"]
        ):
            return _("待运行分配")
        label = str(Quota.objects.get(pk=row["quota_id"])) if row["quota_id"] else None
        return explain.unit_unfunded(row=row, unit_label=label, total_slots=source.total_slots)
    if uses_batch_split(source):
        plan = batch_plan_of(source=source, scope=scope)
        if plan is not None:
            shares = plan.split
            number = shares.numbers.get(application.batch_id)
            spill = None
            if plan.spill_slots and application.batch_id is not None:
                rank = engine.batch_spill_position_of(
                    source_id=source.pk, scope=scope, shares=shares.shares, application_id=application.pk
                )
                if rank is not None and rank <= plan.spill_open:
                    return _("待运行分配")
                spill = None if rank is None else plan.spill_held + rank
            tail = {"spill_position": spill, "spill_slots": plan.spill_slots}
            if not shares.shares.get(application.batch_id):
                return explain.batch_unfunded(row=None, batch_number=number, first_two_cap=shares.first_two_cap, **tail)
            row = engine.batch_position_of(
                source_id=source.pk, scope=scope, shares=shares.shares, application_id=application.pk
            )
            if row is None or row["batch_rank"] <= row["batch_share"] - row["batch_held"]:
                return _("待运行分配")
            return explain.batch_unfunded(row=row, batch_number=number, first_two_cap=shares.first_two_cap, **tail)
    row = engine.global_position_of(source_id=source.pk, scope=scope, seats=False, application_id=application.pk)
    total = source.total_slots or 0
    if row is None or row["rank"] <= total - row["held_n"]:
        return _("待运行分配")
    return explain.global_unfunded(row=row, total_slots=total)


def _topup_unfunded_reason(*, application: Application, source: FundingSource, awards: dict, scope) -> str:
    union = source.scope_union
    where = explain.scope_word(union_name=union.name, level=union.level)
    if source.topup_rule == TopUpRule.FUNDED_BY:
        base = source.matching_of
        if base.pk not in awards:
            return explain.topup_unfunded(where=where, position=None, slots=None, base_name=base.name)
        ahead = (
            Award.objects.live()
            .filter(
                source=base,
                application__union_path__startswith=union.path,
                application__status__in=FUNDED_STATUSES,
            )
            .filter(
                Q(application__submitted_at__lt=application.submitted_at)
                | Q(application__submitted_at=application.submitted_at, application__pk__lte=application.pk)
            )
            .count()
        )
        if source.total_slots is None or ahead <= source.total_slots:
            return _("待运行分配")
        return explain.topup_unfunded(where=where, position=ahead, slots=source.total_slots)
    row = engine.global_position_of(
        source_id=source.pk, scope=scope, seats=False, application_id=application.pk, subtree_path=union.path
    )
    if row is None or source.total_slots is None or row["rank"] <= source.total_slots - row["held_n"]:
        return _("待运行分配")
    return explain.topup_unfunded(where=where, position=row["rank"] + row["held_n"], slots=source.total_slots)
