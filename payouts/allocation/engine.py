"""The set-based allocation: SQL that ranks approved applications with window functions.

Every query here runs unchanged on PostgreSQL and on SQLite >= 3.25 (the demo): plain
CTEs, ``row_number()``/``sum() OVER``, ``LIKE`` on the materialised union path, ``VALUES``
and ``||``. Nothing loops over applications in Python: each source is one SELECT that
returns only the funded rows (a few thousand even for a million applicants).

Vocabulary shared by the queries:
- *scope*: the applications a run may (re)decide: the programme's, of batches up to
  ``max_batch`` (all when ``None``); their PROPOSED awards are replaced by the run.
- *held*: live awards the run must not touch and whose slots count as used: published,
  paid or failed (payment retried) awards, and proposed awards outside the scope.
- *cand*: applications in scope that passed every review tier (approved, or already paid
  some other money: ``ELIGIBLE``) without a held or revoked/void award of the source (such
  an award is final for that application and source). A worker whose city money was paid
  is still waiting for province money a rerun may give: ``paid`` must not drop them. Written ``NOT IN``
  (``application_id`` is never NULL) so PostgreSQL always hashes the excluded set: with
  ``NOT EXISTS`` and fresh, unanalysed award rows it chose a nested loop per application.
"""

# Only table names (from model metadata) and fixed SQL fragments are formatted into these
# queries; every value travels as a bound parameter.
# ruff: noqa: S608

from dataclasses import dataclass

from django.db import connection

from applications.models import Application
from quotas.models import Batch, Quota, Union

from ..models import AWARD_ENDED_SQL, AWARD_ENDED_STATUSES, Award

A = Application._meta.db_table
U = Union._meta.db_table
Q = Quota._meta.db_table
B = Batch._meta.db_table
X = Award._meta.db_table

# Orders seat ranks with NULLs last on both backends (PostgreSQL and SQLite disagree).
_NO_RANK = 2_147_483_647

# Applications that passed every review tier: approved, or approved and since paid
# (``mark_paid`` when all the money they hold was paid). Both may be given a place.
ELIGIBLE = "('approved', 'paid')"
# Awards that hold no place: revoked (objection upheld), void (withdrawn claim).
NOT_HOLDING = AWARD_ENDED_STATUSES
_NOT_HOLDING_SQL = AWARD_ENDED_SQL
# Applications of a batch that may still be given a place of it: eligible, or in review.
_CLAIMING = "('approved', 'paid', 'in_review', 'returned')"


@dataclass(frozen=True)
class Scope:
    program_id: int
    max_batch: int | None = None

    def in_scope_sql(self, batch_alias: str) -> tuple[str, list]:
        if self.max_batch is None:
            return "1 = 1", []
        return f"({batch_alias}.number IS NULL OR {batch_alias}.number <= %s)", [self.max_batch]


def _held_cte(*, source_id: int, scope: Scope) -> tuple[str, list]:
    held_scope, held_params = scope.in_scope_sql("hb")
    sql = f"""
    held AS (
      SELECT x.application_id, x.quota_id, x.via, x.batch_id
      FROM {X} x
      JOIN {A} ha ON ha.id = x.application_id
      LEFT JOIN {B} hb ON hb.id = ha.batch_id
      WHERE x.source_id = %s AND x.status NOT IN {_NOT_HOLDING_SQL}
        AND (x.status <> 'proposed' OR NOT ({held_scope}))
    )"""
    return sql, [source_id, *held_params]


def _held_and_cand(
    *, source_id: int, scope: Scope, cand_extra: str = "", extra_params: tuple = (), limit: int | None = None
) -> tuple[str, list]:
    """``limit``: only the first ``limit`` candidates in FCFS order (an ordered index scan
    on ``(program, status, submitted_at, id)`` instead of reading and sorting them all)."""
    held, held_params = _held_cte(source_id=source_id, scope=scope)
    cand_scope, cand_params = scope.in_scope_sql("cb")
    sql = f"""{held},
    cand AS (
      SELECT a.id, a.submitted_at, a.batch_id, a.seat_rank, a.union_path
      FROM {A} a
      LEFT JOIN {B} cb ON cb.id = a.batch_id
      WHERE a.program_id = %s AND a.status IN {ELIGIBLE} AND ({cand_scope}) {cand_extra}
        AND a.id NOT IN (SELECT y.application_id FROM {X} y WHERE y.source_id = %s AND y.status <> 'proposed')
      {"" if limit is None else "ORDER BY a.submitted_at, a.id LIMIT %s"}
    )"""
    tail = [] if limit is None else [limit]
    return sql, [*held_params, scope.program_id, *cand_params, *extra_params, source_id, *tail]


def unit_of_cte(*, apps_cte: str, source_id: int) -> tuple[str, list]:
    """``unit_of(union_path, quota_id)``: the deepest ancestor-or-self of each applicant's
    union that has a quota row of the source. Computed per distinct union *path* (a few
    hundred), not per application (a million), then joined back by path. The path is the
    application's own copy (``Application.union_path``, the union it was submitted under),
    so a million applications need no join to their workers."""
    sql = f"""
    unit_of AS (
      SELECT t.union_path, t.quota_id FROM (
        SELECT p.union_path, q.id AS quota_id,
               row_number() OVER (PARTITION BY p.union_path ORDER BY qu.depth DESC) AS k
        FROM (SELECT DISTINCT union_path FROM {apps_cte}) p
        JOIN {Q} q ON q.source_id = %s AND q.union_id IS NOT NULL
        JOIN {U} qu ON qu.id = q.union_id
        WHERE p.union_path LIKE qu.path || '%%'
      ) t WHERE t.k = 1
    )"""
    return sql, [source_id]


def _unit_ranked(*, source_id: int, scope: Scope, limit: int | None = None) -> tuple[str, list]:
    """CTEs up to ``ranked2``: each candidate with its unit, unit rank, and — for those
    its unit cannot serve — its running position in the city pool queue."""
    base, params = _held_and_cand(source_id=source_id, scope=scope, limit=limit)
    unit_of, unit_params = unit_of_cte(apps_cte="cand", source_id=source_id)
    sql = f"""WITH {base},
    {unit_of},
    unit_left AS (
      -- A grouped join, not a correlated count: the planner may inline CTEs, and a
      -- correlated subquery would then run once per application.
      SELECT q.id AS quota_id, q.slots AS slots, count(h.application_id) AS held_n
      FROM {Q} q LEFT JOIN held h ON h.quota_id = q.id AND h.via = 'quota'
      WHERE q.source_id = %s AND q.union_id IS NOT NULL
      GROUP BY q.id, q.slots
    ),
    pool_left AS (
      SELECT coalesce((SELECT sum(q.slots) FROM {Q} q WHERE q.source_id = %s AND q.union_id IS NULL), 0) AS slots,
             (SELECT count(*) FROM held h WHERE h.via = 'pool') AS held_n
    ),
    total_left AS (SELECT (SELECT count(*) FROM held) AS held_n),
    ranked AS (
      SELECT c.id, c.submitted_at, c.batch_id, uo.quota_id,
             row_number() OVER (PARTITION BY uo.quota_id ORDER BY c.submitted_at, c.id) AS unit_rank,
             ul.slots AS unit_slots, ul.held_n AS unit_held
      FROM cand c
      LEFT JOIN unit_of uo ON uo.union_path = c.union_path
      LEFT JOIN unit_left ul ON ul.quota_id = uo.quota_id
    ),
    ranked1 AS (
      SELECT r.*,
             CASE WHEN r.quota_id IS NOT NULL AND r.unit_rank <= r.unit_slots - r.unit_held THEN 0 ELSE 1 END
               AS is_over
      FROM ranked r
    ),
    ranked2 AS (
      SELECT r.*,
             sum(r.is_over) OVER (ORDER BY r.submitted_at, r.id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
               AS pool_rank,
             p.slots AS pool_slots, p.held_n AS pool_held
      FROM ranked1 r CROSS JOIN pool_left p
    ),
    placed AS (
      SELECT r.*, row_number() OVER (ORDER BY r.submitted_at, r.id) AS total_rank
      FROM ranked2 r
      WHERE r.is_over = 0 OR r.pool_rank <= r.pool_slots - r.pool_held
    )"""
    return sql, [*params, *unit_params, source_id, source_id]


UNIT_COLUMNS = (
    "id",
    "batch_id",
    "quota_id",
    "unit_rank",
    "unit_slots",
    "unit_held",
    "is_over",
    "pool_rank",
    "pool_slots",
    "pool_held",
    "total_rank",
)


# The FCFS prefix tried first is PREFIX_START times the source's slots (at least
# PREFIX_MIN rows: enough when applicants spread over the units roughly like the slots
# do), grown by PREFIX_FACTOR while some unit with open slots is not full in it, up to
# PREFIX_MAX rows; past that the whole candidate set is ranked (one scan and sort of
# every approved application, as before the prefix existed).
PREFIX_MIN = 1000
PREFIX_START = 16
PREFIX_FACTOR = 4
PREFIX_MAX = 300_000


def unit_rows(*, source_id: int, scope: Scope, total_slots: int | None) -> list[dict]:
    """Unit quota first, then the pool in global order, then the source total.

    Why a prefix is enough: let K be the slots still open (units + pool). Among the
    first K candidates in FCFS order at most the open unit slots are unit-funded, so at
    least the open pool slots overflow there: nobody later can reach the pool. If every
    unit with open slots is also full inside the prefix, nobody later is funded at all,
    and the ranks inside a prefix equal the ranks over everybody. Otherwise the prefix
    grows, and the full ranking is the last resort."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT coalesce(sum(slots), 0) FROM {Q} WHERE source_id = %s AND slots > 0", [source_id])
        open_slots = cur.fetchone()[0]
    limit = max(open_slots * PREFIX_START, PREFIX_MIN)
    while limit <= PREFIX_MAX:
        rows = _unit_prefix_rows(source_id=source_id, scope=scope, limit=limit)
        if rows is not None:
            return [
                {c: r[c] for c in UNIT_COLUMNS}
                for r in rows
                if total_slots is None or r["total_rank"] <= total_slots - r["total_held"]
            ]
        limit *= PREFIX_FACTOR
    return _unit_rows_full(source_id=source_id, scope=scope, total_slots=total_slots)


def _unit_prefix_rows(*, source_id: int, scope: Scope, limit: int) -> list[dict] | None:
    """The placed rows of the first ``limit`` candidates (before the source total), or
    None when they may differ from the full ranking (see ``unit_rows``)."""
    ctes, params = _unit_ranked(source_id=source_id, scope=scope, limit=limit)
    cols = ", ".join(f"p.{c}" for c in UNIT_COLUMNS)
    # The left join keeps one row (the prefix size) even when nobody is placed.
    sql = f"""{ctes} SELECT {cols}, p.total_held, cn.n FROM (SELECT count(*) AS n FROM cand) cn
    LEFT JOIN (SELECT pl.*, t.held_n AS total_held FROM placed pl CROSS JOIN total_left t) p ON 1 = 1
    ORDER BY p.total_rank"""
    fetched = _fetch(sql, params, (*UNIT_COLUMNS, "total_held", "cand_n"))
    rows = [r for r in fetched if r["id"] is not None]
    if fetched[0]["cand_n"] < limit:
        return rows  # every candidate was in the prefix
    with connection.cursor() as cur:
        # Only ``unit_left`` is read: the other CTEs are not evaluated.
        cur.execute(f"{ctes} SELECT ul.quota_id, ul.slots - ul.held_n FROM unit_left ul", params)
        lefts = cur.fetchall()
    funded: dict[int, int] = {}
    for r in rows:
        if r["is_over"] == 0:
            funded[r["quota_id"]] = funded.get(r["quota_id"], 0) + 1
    if all(funded.get(quota_id, 0) >= left for quota_id, left in lefts):
        return rows
    return None


def _unit_rows_full(*, source_id: int, scope: Scope, total_slots: int | None) -> list[dict]:
    ctes, params = _unit_ranked(source_id=source_id, scope=scope)
    cols = ", ".join(f"pl.{c}" for c in UNIT_COLUMNS)
    total_cond = "1 = 1" if total_slots is None else "pl.total_rank <= %s - t.held_n"
    sql = f"{ctes} SELECT {cols} FROM placed pl CROSS JOIN total_left t WHERE {total_cond} ORDER BY pl.total_rank"
    return _fetch(sql, [*params, *([] if total_slots is None else [total_slots])], UNIT_COLUMNS)


def unit_position_of(*, source_id: int, scope: Scope, application_id: int) -> dict | None:
    """The same ranking, read for one application (funded or not): for explanations."""
    ctes, params = _unit_ranked(source_id=source_id, scope=scope)
    cols = (*UNIT_COLUMNS[:-1], "total_rank", "total_held")
    sql = f"""{ctes}
    SELECT r.id, r.batch_id, r.quota_id, r.unit_rank, r.unit_slots, r.unit_held, r.is_over, r.pool_rank,
           r.pool_slots, r.pool_held, pl.total_rank, t.held_n
    FROM ranked2 r LEFT JOIN placed pl ON pl.id = r.id CROSS JOIN total_left t WHERE r.id = %s"""
    rows = _fetch(sql, [*params, application_id], cols)
    return rows[0] if rows else None


BATCH_COLUMNS = ("id", "batch_id", "batch_rank", "batch_share", "batch_held")


def _batch_ranked(
    *,
    source_id: int,
    scope: Scope,
    shares: dict[int, int],
    only_batch: int | None = None,
    prefix: int | None = None,
) -> tuple[str, list]:
    """``only_batch``: rank just that batch's first ``shares[only_batch]`` candidates (a
    batch rank only depends on the batch's earlier candidates). ``prefix``: rank only the
    first ``prefix`` candidates of every batch together, in FCFS order (for the places
    passed on, ``batch_spill_rows``): a batch's rows inside a global prefix are a prefix
    of the batch, so their batch ranks are exact."""
    if only_batch is not None:
        base, params = _held_and_cand(
            source_id=source_id,
            scope=scope,
            cand_extra="AND a.batch_id = %s",
            extra_params=(only_batch,),
            limit=shares[only_batch],
        )
    else:
        base, params = _held_and_cand(
            source_id=source_id, scope=scope, cand_extra="AND a.batch_id IS NOT NULL", limit=prefix
        )
    values = ", ".join("(%s, %s)" for _ in shares)
    share_params = [v for item in sorted(shares.items()) for v in item]
    sql = f"""WITH {base},
    shares (batch_id, share_n) AS (VALUES {values}),
    share_left AS (
      SELECT s.batch_id, s.share_n, count(h.application_id) AS held_n
      FROM shares s LEFT JOIN held h ON h.batch_id = s.batch_id
      GROUP BY s.batch_id, s.share_n
    ),
    ranked AS (
      SELECT c.id, c.batch_id, c.submitted_at,
             row_number() OVER (PARTITION BY c.batch_id ORDER BY c.submitted_at, c.id) AS batch_rank,
             sl.share_n AS batch_share, sl.held_n AS batch_held
      FROM cand c JOIN share_left sl ON sl.batch_id = c.batch_id
    )"""
    return sql, [*params, *share_params]


def batch_rows(*, source_id: int, scope: Scope, shares: dict[int, int]) -> list[dict]:
    """Each batch's share, first come first served inside the batch: one query per batch
    over only its first ``share`` candidates (no batch gets more than its share)."""
    out = []
    for batch_id in sorted(shares):
        if shares[batch_id] <= 0:
            continue
        ctes, params = _batch_ranked(source_id=source_id, scope=scope, shares=shares, only_batch=batch_id)
        sql = f"""{ctes} SELECT r.id, r.batch_id, r.batch_rank, r.batch_share, r.batch_held FROM ranked r
        WHERE r.batch_rank <= r.batch_share - r.batch_held ORDER BY r.batch_id, r.batch_rank"""
        out.extend(_fetch(sql, params, BATCH_COLUMNS))
    return out


def batch_position_of(*, source_id: int, scope: Scope, shares: dict[int, int], application_id: int) -> dict | None:
    ctes, params = _batch_ranked(source_id=source_id, scope=scope, shares=shares)
    sql = f"{ctes} SELECT r.id, r.batch_id, r.batch_rank, r.batch_share, r.batch_held FROM ranked r WHERE r.id = %s"
    rows = _fetch(sql, [*params, application_id], BATCH_COLUMNS)
    return rows[0] if rows else None


def batch_held(*, source_id: int, scope: Scope) -> dict[int, int]:
    """Held awards of the source per batch (the award's batch)."""
    held, params = _held_cte(source_id=source_id, scope=scope)
    sql = f"WITH {held} SELECT h.batch_id, count(*) FROM held h WHERE h.batch_id IS NOT NULL GROUP BY h.batch_id"
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return dict(cur.fetchall())


def batch_claimants(*, source_id: int, scope: Scope, program_id: int, batch_id: int, cap: int) -> int:
    """How many applications of the batch, besides those holding the source's award, may
    still take a place of it (approved, paid, or still in review), counted up to ``cap``
    (the batch's open places: beyond that the number changes nothing)."""
    held, params = _held_cte(source_id=source_id, scope=scope)
    sql = f"""WITH {held}
    SELECT count(*) FROM (
      SELECT a.id FROM {A} a
      WHERE a.program_id = %s AND a.batch_id = %s AND a.status IN {_CLAIMING}
        AND a.id NOT IN (SELECT h.application_id FROM held h)
        AND a.id NOT IN (SELECT y.application_id FROM {X} y WHERE y.source_id = %s AND y.status <> 'proposed')
      LIMIT %s
    ) t"""
    with connection.cursor() as cur:
        cur.execute(sql, [*params, program_id, batch_id, source_id, max(cap, 0)])
        return cur.fetchone()[0]


SPILL_COLUMNS = ("id", "batch_id", "spill_rank")


def _spill_sql(ctes: str) -> str:
    return f"""{ctes},
    spill AS (
      SELECT r.id, r.batch_id, row_number() OVER (ORDER BY r.submitted_at, r.id) AS spill_rank
      FROM ranked r WHERE r.batch_rank > r.batch_share - r.batch_held
    )"""


def batch_spill_rows(
    *, source_id: int, scope: Scope, shares: dict[int, int], places: int, batch_funded: int
) -> list[dict]:
    """The places batches cannot use (``places``), to the next candidates in submission
    order that their own batch share does not fund, whatever their batch. They lie within
    the first ``places + batch_funded`` candidates: at most ``batch_funded`` before them
    are funded by their batch."""
    if places <= 0:
        return []
    ctes, params = _batch_ranked(source_id=source_id, scope=scope, shares=shares, prefix=places + batch_funded)
    sql = f"{_spill_sql(ctes)} SELECT s.id, s.batch_id, s.spill_rank FROM spill s WHERE s.spill_rank <= %s ORDER BY s.spill_rank"
    return _fetch(sql, [*params, places], SPILL_COLUMNS)


def batch_spill_position_of(*, source_id: int, scope: Scope, shares: dict[int, int], application_id: int) -> int | None:
    ctes, params = _batch_ranked(source_id=source_id, scope=scope, shares=shares)
    sql = f"{_spill_sql(ctes)} SELECT s.spill_rank FROM spill s WHERE s.id = %s"
    with connection.cursor() as cur:
        cur.execute(sql, [*params, application_id])
        row = cur.fetchone()
    return row[0] if row else None


GLOBAL_COLUMNS = ("id", "batch_id", "rank", "held_n", "seat_rank")


def _subtree_filter(alias: str, subtree_path: str | None) -> tuple[str, tuple]:
    """A top-up source (``FundingSource.scope_union``) serves only its subtree: the
    applications submitted under it, one indexed prefix test on their own path copy."""
    if subtree_path is None:
        return "", ()
    return f"AND {alias}.union_path LIKE %s", (subtree_path + "%",)


def _global_ranked(
    *, source_id: int, scope: Scope, seats: bool, subtree_path: str | None = None, limit: int | None = None
) -> tuple[str, list]:
    extra, extra_params = _subtree_filter("a", subtree_path)
    if seats:
        extra += " AND a.seat_status = 'placed'"
    base, params = _held_and_cand(
        source_id=source_id, scope=scope, cand_extra=extra, extra_params=extra_params, limit=limit
    )
    order = f"coalesce(c.seat_rank, {_NO_RANK}), c.submitted_at, c.id" if seats else "c.submitted_at, c.id"
    sql = f"""WITH {base},
    ranked AS (
      SELECT c.id, c.batch_id, row_number() OVER (ORDER BY {order}) AS rank,
             (SELECT count(*) FROM held) AS held_n, c.seat_rank
      FROM cand c
    )"""
    return sql, params


def global_rows(
    *, source_id: int, scope: Scope, total_slots: int | None, seats: bool = False, subtree_path: str | None = None
) -> list[dict]:
    """Whole-programme FCFS up to the source total (``None``: everybody, a top-up for all
    approved members of its subtree); ``seats``: only places taken at submission (Xian'an),
    in the order the places were taken; ``subtree_path``: only that union's subtree."""
    limit = None
    if subtree_path is not None and total_slots is not None:
        # A top-up with N places: only the subtree's first N - held candidates can be
        # funded (FCFS), read in order through the (program, status, submitted_at, id)
        # index instead of ranking the whole subtree.
        limit = total_slots - held_count(source_id=source_id, scope=scope)
        if limit <= 0:
            return []
    ctes, params = _global_ranked(source_id=source_id, scope=scope, seats=seats, subtree_path=subtree_path, limit=limit)
    cols = "SELECT r.id, r.batch_id, r.rank, r.held_n, r.seat_rank FROM ranked r"
    if total_slots is None:
        return _fetch(f"{ctes} {cols} ORDER BY r.rank", params, GLOBAL_COLUMNS)
    sql = f"{ctes} {cols} WHERE r.rank <= %s - r.held_n ORDER BY r.rank"
    return _fetch(sql, [*params, total_slots], GLOBAL_COLUMNS)


def global_position_of(
    *, source_id: int, scope: Scope, seats: bool, application_id: int, subtree_path: str | None = None
) -> dict | None:
    ctes, params = _global_ranked(source_id=source_id, scope=scope, seats=seats, subtree_path=subtree_path)
    sql = f"{ctes} SELECT r.id, r.batch_id, r.rank, r.held_n, r.seat_rank FROM ranked r WHERE r.id = %s"
    rows = _fetch(sql, [*params, application_id], GLOBAL_COLUMNS)
    return rows[0] if rows else None


def held_count(*, source_id: int, scope: Scope) -> int:
    """Live awards of the source the run does not touch (their places count as used)."""
    held, params = _held_cte(source_id=source_id, scope=scope)
    with connection.cursor() as cur:
        cur.execute(f"WITH {held} SELECT count(*) FROM held", params)
        return cur.fetchone()[0]


MATCHING_COLUMNS = ("id", "batch_id", "rank", "base_explanation", "county_id")


def matching_rows(*, source_id: int, base_source_id: int, scope: Scope, subtree_path: str | None = None) -> list[dict]:
    """One row per live award of the base source, 1:1, with the applicant's county
    (the deepest ancestor-or-self of level county) for county-paid matching money. The
    county is found per union (a few hundred), not per award. ``subtree_path``: only the
    base awards of that union's subtree (a top-up for those the city funds)."""
    in_scope, scope_params = scope.in_scope_sql("b")
    subtree, subtree_params = _subtree_filter("a", subtree_path)
    sql = f"""
    WITH base AS (
      SELECT a.id, a.batch_id, a.submitted_at, x.rank, x.explanation, a.union_path
      FROM {X} x
      JOIN {A} a ON a.id = x.application_id
      LEFT JOIN {B} b ON b.id = a.batch_id
      WHERE x.source_id = %s AND x.status NOT IN {_NOT_HOLDING_SQL} AND a.program_id = %s AND a.status IN {ELIGIBLE}
        AND ({in_scope}) {subtree}
        -- On the award, not the application: filtering the probed application row by a
        -- hashed subplan made PostgreSQL cost each probe with the subplan and scan all
        -- applications instead of looking up the few thousand awarded ones.
        AND x.application_id NOT IN (SELECT y.application_id FROM {X} y WHERE y.source_id = %s AND y.status <> 'proposed')
    ),
    county_of AS (
      SELECT t.union_path, t.county_id FROM (
        SELECT p.union_path, cu.id AS county_id,
               row_number() OVER (PARTITION BY p.union_path ORDER BY cu.depth DESC) AS k
        FROM (SELECT DISTINCT union_path FROM base) p
        JOIN {U} cu ON cu.level = 'county' AND p.union_path LIKE cu.path || '%%'
      ) t WHERE t.k = 1
    )
    SELECT base.id, base.batch_id, base.rank, base.explanation, co.county_id
    FROM base LEFT JOIN county_of co ON co.union_path = base.union_path
    ORDER BY base.submitted_at, base.id"""
    params = [base_source_id, scope.program_id, *scope_params, *subtree_params, source_id]
    return _fetch(sql, params, MATCHING_COLUMNS)


def tune_session() -> None:
    """PostgreSQL: give this transaction's sorts room in memory (a million-row window
    sort spills to disk at the 4 MB default) and keep its joins set-based. SQLite needs
    nothing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL work_mem = '256MB'")
            # JIT compiling these CTE-heavy plans costs more than it saves (0.1-0.3 s each).
            cur.execute("SET LOCAL jit = off")


def _fetch(sql: str, params: list, columns: tuple[str, ...]) -> list[dict]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
