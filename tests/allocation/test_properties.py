"""Random trees, quota tables and submission times (ties included) against a plain Python
reading of the rule: the SQL must give exactly the same awards, never exceed a cap, keep
FCFS order inside each unit and the pool, and rerun to the same result."""

from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payouts.allocation.services import allocation_run
from payouts.models import Award, AwardStatus, AwardVia
from quotas.models import BatchSplit, UnionLevel

from . import factories as f

world = st.fixed_dictionaries(
    {
        # counties, each with 0-2 grassroots unions under it
        "tree": st.lists(st.integers(0, 2), min_size=1, max_size=3),
        # slots per node (None = no quota row), nodes numbered counties first
        "slots": st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=9, max_size=9),
        "pool": st.integers(0, 3),
        "total_delta": st.integers(-2, 2),
        # (node index, minute, batch) per application; equal minutes are ties (by id)
        "apps": st.lists(st.tuples(st.integers(0, 8), st.integers(0, 5), st.integers(1, 3)), max_size=14),
        "province_total": st.integers(0, 6),
        "cap": st.integers(0, 3),
    }
)


class Rollback(Exception):
    pass


def build(w):
    city = f.union("市总工会", UnionLevel.CITY)
    nodes = []
    for i, n_grass in enumerate(w["tree"]):
        county = f.union(f"县{i}", UnionLevel.COUNTY, city)
        nodes.append(county)
        nodes.extend(f.union(f"县{i}基层{k}", UnionLevel.GRASSROOTS, county) for k in range(n_grass))
    prog = f.program(city, "prop", batches=3)
    batches = {b.number: b for b in prog.batches.all()}
    unit_slots = {n.pk: s for n, s in zip(nodes, w["slots"], strict=False) if s is not None}
    total = max(sum(unit_slots.values()) + w["pool"] + w["total_delta"], 0)
    city_money = f.source(prog, "市", 1000, total_slots=total, uses_unit_quotas=True)
    quotas = {pk: f.quota(city_money, next(n for n in nodes if n.pk == pk), s) for pk, s in unit_slots.items()}
    f.quota(city_money, None, w["pool"])
    prov = f.source(
        prog,
        "省",
        1000,
        total_slots=w["province_total"],
        batch_split=BatchSplit.EVEN_FIRST_TWO,
        first_batches_cap=w["cap"],
    )
    f.source(prog, "配套", 1000, matching_of=city_money, payer_rule="applicant_county")
    apps = []
    for node_i, minute, batch in w["apps"]:
        node = nodes[node_i % len(nodes)]
        apps += f.applications(prog, node, [f.at(8) + timedelta(minutes=minute)], batch=batches[batch])
    return prog, city_money, prov, nodes, quotas, apps, total


def unit_map(apps, nodes, quotas):
    """Each application's quota row: the deepest ancestor-or-self with a row."""
    by_pk = {n.pk: n for n in nodes}
    out = {}
    for app in apps:
        node = by_pk[app.worker.union_id]
        while node is not None and node.pk not in quotas:
            node = by_pk.get(node.parent_id)
        out[app.pk] = quotas[node.pk].pk if node is not None else None
    return out


def reference_city(apps, nodes, quotas, pool, total):
    """The rule in plain Python: unit quota in order, then the pool in global order."""
    units = unit_map(apps, nodes, quotas)

    def unit_of(app):
        return units[app.pk]

    slots = {q.pk: q.slots for q in quotas.values()}
    used, funded, overflow = defaultdict(int), {}, []
    for app in sorted(apps, key=lambda a: (a.submitted_at, a.pk)):
        q = unit_of(app)
        if q is not None and used[q] < slots[q]:
            used[q] += 1
            funded[app.pk] = (AwardVia.UNIT_QUOTA, q)
        else:
            overflow.append(app)
    for app in overflow[:pool]:
        funded[app.pk] = (AwardVia.POOL, None)
    kept = [a.pk for a in sorted(apps, key=lambda a: (a.submitted_at, a.pk)) if a.pk in funded][:total]
    return {pk: funded[pk] for pk in kept}


def reference_province(apps, total, cap):
    by_batch = defaultdict(list)
    for app in sorted(apps, key=lambda a: (a.submitted_at, a.pk)):
        by_batch[app.batch.number].append(app.pk)
    if cap is not None and len(by_batch[1]) + len(by_batch[2]) >= total:
        shares = {1: min(cap, total), 2: min(cap, total - min(cap, total)), 3: 0}
    else:
        shares = {n: total // 3 + (1 if n - 1 < total % 3 else 0) for n in (1, 2, 3)}
    funded = {pk for n in (1, 2, 3) for pk in by_batch[n][: shares[n]]}
    # Every window is over (2024): the places a batch cannot use go to the next approved
    # in submission order that their own batch leaves out.
    unused = sum(max(shares[n] - len(by_batch[n]), 0) for n in (1, 2, 3))
    rest = [a.pk for a in sorted(apps, key=lambda a: (a.submitted_at, a.pk)) if a.pk not in funded]
    return funded | set(rest[:unused])


def awards_of(source):
    return {
        a.application_id: (a.via, a.quota_id)
        for a in Award.objects.filter(source=source).exclude(status=AwardStatus.REVOKED)
    }


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(w=world)
def test_sql_allocation_matches_the_rule_and_never_exceeds_a_cap(w):
    try:
        with transaction.atomic():
            prog, city_money, prov, nodes, quotas, apps, total = build(w)
            first = allocation_run(program=prog, actor=None)
            got = awards_of(city_money)
            assert got == reference_city(apps, nodes, quotas, w["pool"], total)
            assert set(awards_of(prov)) == reference_province(apps, w["province_total"], w["cap"])

            # Caps: unit, pool, source total, and each batch share.
            for q in quotas.values():
                assert sum(1 for via, qid in got.values() if qid == q.pk) <= q.slots
            assert sum(1 for via, _ in got.values() if via == AwardVia.POOL) <= w["pool"]
            assert len(got) <= total
            # FCFS inside a unit: once someone of the unit is left out, nobody later is funded.
            by_unit = defaultdict(list)
            units = unit_map(apps, nodes, quotas)
            for app in sorted(apps, key=lambda a: (a.submitted_at, a.pk)):
                by_unit[units[app.pk]].append(app.pk in got)
            for flags in by_unit.values():
                assert flags == sorted(flags, reverse=True)
            assert len(awards_of(prov)) <= w["province_total"]

            # Matching follows the city 1:1 (every node here sits under a county).
            matching = prog.sources.get(name="配套")
            assert set(awards_of(matching)) == set(got)

            # Idempotent: a second run writes nothing; deterministic: from scratch, the same.
            again = allocation_run(program=prog, actor=None)
            assert all((o.created, o.updated, o.deleted) == (0, 0, 0) for o in again.sources)
            snapshot = sorted(Award.objects.values_list("application_id", "source_id", "via", "rank", "explanation"))
            Award.objects.all().delete()
            allocation_run(program=prog, actor=None)
            assert (
                sorted(Award.objects.values_list("application_id", "source_id", "via", "rank", "explanation"))
                == snapshot
            )
            assert [o.created for o in first.sources] == [len(got), len(awards_of(prov)), len(got)]
            raise Rollback
    except Rollback:
        pass
