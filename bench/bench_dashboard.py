"""Dashboard at a province's scale: 1,000,000 applications (scale 1.0) across 16 cities of
one province (16 units × 4 grassroots unions each), PostgreSQL.

Seeded with set-based SQL (``INSERT … SELECT generate_series``): the ORM would need most of
an hour on this machine for 3.5 million rows. Measured:
- the cold aggregation (``dashboard_snapshot_compute``: ``dashboard_stats`` + charts) for one
  city and one county, and the province comparison (``province_snapshot_compute``);
- the beat refresh of every owner's and the province's snapshot;
- p50/p95 of the full dashboard page (Django test Client, DEBUG off) for a city manager and
  the province manager, reading the snapshots as in production;
- the unit table and programme summary XLSX for one city.
"""

import io
import os
import statistics
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payouts.dashboard.snapshots import (
    dashboard_snapshot_compute,
    dashboard_snapshots_refresh,
    province_snapshot_compute,
)
from payouts.models import AwardStatus, AwardVia
from payouts.reports.workbooks import program_summary_workbook, unit_table_workbook
from quotas.models import Batch, FundingSource, Program, Quota, UnionLevel
from quotas.services import union_admin_create, union_create

CITIES = 16
UNITS = 16
GRASSROOTS = 4
REQUESTS = 30
# Per 9 applications: 1 draft, 2 in review, 1 returned, 1 rejected, 2 approved, 2 paid.
STATUSES = ["draft", "in_review", "in_review", "returned", "rejected", "approved", "approved", "paid", "paid"]


def _structure(tag: str):
    now = timezone.now()
    province = union_create(name=f"压测省{tag}", code=f"bp-{tag}", level=UnionLevel.PROVINCE)
    cities, rows = [], []  # rows: (grassroots id, county id, city index)
    for c in range(CITIES):
        city = union_create(name=f"第{c}市总工会", code=f"bp-{tag}-{c}", level=UnionLevel.CITY, parent=province)
        program = Program.objects.create(
            owner_union=city,
            year=2024,
            name=f"压测{c}市方案{tag}",
            slug=f"bp-{tag}-{c}",
            review_tiers=["grassroots", "county", "city"],
        )
        batch = Batch.objects.create(
            program=program,
            number=1,
            apply_opens=now - timedelta(days=30),
            apply_closes=now + timedelta(days=1),
            review_opens=now - timedelta(days=30),
            review_closes=now + timedelta(days=2),
        )
        province_money = FundingSource.objects.create(
            program=program, name="省总工会补助", payer_union=city, amount_yuan=1000, total_slots=10**6, position=1
        )
        city_money = FundingSource.objects.create(
            program=program,
            name="市总工会补助",
            payer_union=city,
            amount_yuan=1000,
            total_slots=10**6,
            uses_unit_quotas=True,
            position=2,
        )
        Quota.objects.create(source=city_money, is_pool=True, position=99, slots=500, label="全市调剂名额")
        for u in range(UNITS):
            county = union_create(name=f"{c}-{u}区", code=f"bp-{tag}-{c}-{u}", level=UnionLevel.COUNTY, parent=city)
            quota = Quota.objects.create(source=city_money, union=county, position=u, slots=3000)
            for g in range(GRASSROOTS):
                grassroots = union_create(
                    name=f"{c}-{u}-{g}工会", code=f"bp-{tag}-{c}-{u}-{g}", level=UnionLevel.GRASSROOTS, parent=county
                )
                rows.append((grassroots.pk, grassroots.path, county.pk, city.pk, program.pk, batch.pk, quota.pk))
        cities.append((city, program, batch, province_money, city_money))
    return province, cities, rows


def _sql(cursor, sql: str, params=()) -> None:
    cursor.execute(sql, params)


@transaction.atomic
def _seed(n_apps: int):
    tag = uuid.uuid4().hex[:8]
    province, cities, rows = _structure(tag)
    with connection.cursor() as cur:
        _sql(
            cur,
            "CREATE TEMP TABLE bench_gr (idx int, union_id bigint, path text, county_id bigint, city_id bigint,"
            " program_id bigint, batch_id bigint, quota_id bigint) ON COMMIT DROP",
        )
        cur.executemany(
            "INSERT INTO bench_gr VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", [(i, *r) for i, r in enumerate(rows)]
        )
        n_gr = len(rows)
        _sql(
            cur,
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,"
            " is_active, date_joined) SELECT '!', false, %s || g, '', '', '', false, true, now()"
            " FROM generate_series(1, %s) g",
            [f"bp{tag}-", n_apps],
        )
        _sql(
            cur,
            "INSERT INTO applications_worker (name, id_number_encrypted, id_number_hmac, id_number_masked, birth_date,"
            " phone, email, employer, position, is_frontline, is_migrant, is_public_sector, is_model_worker,"
            " is_new_form_worker, categories, bank_name, bank_card_encrypted, bank_card_hmac, bank_card_masked,"
            " created_at, updated_at, union_id, user_id)"
            " SELECT '职工', 'x', %s || g, 'x', '1990-01-01', %s || lpad(g::text, 8, '0'), '', 'e', '', true, false,"
            " false, false, false, '[]', 'b', 'x', 'x', 'x', now(), now(), gr.union_id, u.id"
            " FROM (SELECT id, split_part(username, '-', 2)::int AS g FROM auth_user WHERE username LIKE %s) u"
            " JOIN bench_gr gr ON gr.idx = u.g %% %s",
            [f"{tag}-", tag[:3], f"bp{tag}-%", n_gr],
        )
        statuses = "ARRAY[" + ",".join(f"'{s}'" for s in STATUSES) + "]"
        _sql(
            cur,
            "INSERT INTO applications_application (number, level, school, major, enrolled_on, chsi_code,"
            " chsi_expires_on, status, review_chain, return_fields, return_reason, seat_status, created_at,"
            " updated_at, program_id, worker_id, batch_id, union_path, submitted_at, last_submitted_at,"
            " current_tier_id)"
            f" SELECT CASE WHEN s = 'draft' THEN NULL ELSE 'B' || %s || g END, 'dazhuan', 's', 'm', now()::date,"
            " 'c', now()::date, s, '[]', '[]', '', '', now(), now(), gr.program_id, w.id, gr.batch_id, gr.path,"
            " sub, sub, CASE WHEN s = 'in_review' THEN (ARRAY[gr.union_id, gr.county_id, gr.city_id])[1 + g %% 3]"
            " END"
            f" FROM (SELECT id, union_id, split_part(id_number_hmac, '-', 2)::int AS g,"
            f" ({statuses})[1 + (split_part(id_number_hmac, '-', 2)::bigint * 7919) %% 9] AS s"
            " FROM applications_worker WHERE id_number_hmac LIKE %s) w"
            " JOIN bench_gr gr ON gr.union_id = w.union_id"
            " CROSS JOIN LATERAL (SELECT CASE WHEN w.s = 'draft' THEN NULL"
            " ELSE now() - ((w.g %% 30) || ' days')::interval - (w.g %% 1440 || ' minutes')::interval END AS sub) t"
            "",
            [tag, f"{tag}-%"],
        )
        # Two awards per approved/paid application: the province money and the city's quota.
        for via, quota, position in ((AwardVia.BATCH_SHARE, "NULL", 1), (AwardVia.UNIT_QUOTA, "gr.quota_id", 2)):
            _sql(
                cur,
                "INSERT INTO payouts_award (amount_yuan, via, explanation, status, created_at, application_id,"
                " source_id, batch_id, quota_id, payer_union_id)"
                f" SELECT 1000, %s, '', CASE WHEN a.status = 'paid' THEN %s ELSE %s END, now(), a.id, fs.id,"
                f" a.batch_id, {quota}, gr.city_id"
                " FROM applications_application a JOIN bench_gr gr ON gr.path = a.union_path"
                " JOIN quotas_fundingsource fs ON fs.program_id = a.program_id AND fs.position = %s"
                " WHERE a.status IN ('approved', 'paid') AND a.number LIKE %s",
                [via, AwardStatus.PAID, AwardStatus.PROPOSED, position, f"B{tag}%"],
            )
    return province, cities


def _admin(union, name: str):
    user = get_user_model().objects.create_user(username=name)
    union_admin_create(user=user, union=union)
    return user


def _pages(user, params: dict) -> dict:
    from tests.conftest import staff_session_verify  # the same verified-device session as the tests

    client = Client()
    client.force_login(user)
    staff_session_verify(client.session, user)
    url = reverse("admin:payouts_dashboard")
    response = client.get(url, params)  # warm the connection (and the snapshot if missing)
    assert response.status_code == 200, response.status_code
    counted = []

    def count(execute, sql, params_, many, context):
        counted.append(sql)
        return execute(sql, params_, many, context)

    with connection.execute_wrapper(count):
        client.get(url, params)
    if os.environ.get("BENCH_SHOW_SQL"):
        for sql in counted:
            print("   ", sql[:160])
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(client.get, url, params)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    times, cpu = [], []
    for _ in range(REQUESTS):
        t, c = time.perf_counter(), time.process_time()
        client.get(url, params)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    q, qc = statistics.quantiles(times, n=20), statistics.quantiles(cpu, n=20)
    # Wall time depends on how busy the shared machine is; this process's CPU time does not.
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(q[18], 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(qc[18], 1),
        "queries": len(counted),
    }


def _ms(fn) -> tuple[float, object]:
    t = time.perf_counter()
    result = fn()
    return round((time.perf_counter() - t) * 1000, 1), result


def run(scale: float) -> dict:
    n = max(CITIES * UNITS * GRASSROOTS * 9, int(1_000_000 * scale))
    settings.DEBUG = False
    started = time.perf_counter()
    province, cities = _seed(n)
    figures: dict[str, object] = {
        "loadavg_1_5_15_start": [round(x, 2) for x in os.getloadavg()],
        "applications": n,
        "cities": CITIES,
        "seed_s": round(time.perf_counter() - started, 1),
        "max_age_s": settings.DASHBOARD_MAX_AGE_SECONDS,
    }
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics after the bulk load, as in production
    city, program, _batch, _p, _c = cities[0]
    # Cold: what one refresh of a snapshot costs (the exact figures, then the charts).
    for attempt in range(2):
        with CaptureQueriesContext(connection) as queries:
            ms, snapshot = _ms(lambda: dashboard_snapshot_compute(program=program, scope=city))
        figures[f"city_cold_ms_{attempt + 1}"] = ms
    figures["city_cold_queries"] = len(queries)
    figures["city_applications"] = snapshot.stats.totals.applications
    county = city.children.order_by("path").first()
    figures["county_cold_ms"], _s = _ms(lambda: dashboard_snapshot_compute(program=program, scope=county))
    programs = [p for _c0, p, *_rest in cities]
    for attempt in range(2):
        ms, comparison = _ms(lambda: province_snapshot_compute(scope=province, programs=programs))
        figures[f"province_cold_ms_{attempt + 1}"] = ms
    figures["province_applications"] = comparison.comparison.totals["applications"]
    figures["refresh_all_s"], written = _ms(dashboard_snapshots_refresh)
    figures["refresh_all_s"] = round(figures["refresh_all_s"] / 1000, 1)
    figures["snapshots_written"] = written
    # Warm: the page as staff see it (snapshots refreshed by beat).
    for name, user, params in (
        ("city_page", _admin(city, f"bp-city-{uuid.uuid4().hex[:6]}"), {"program": program.pk}),
        ("province_page", _admin(province, f"bp-prov-{uuid.uuid4().hex[:6]}"), {"program": program.pk}),
    ):
        for key, value in _pages(user, params).items():
            figures[f"{name}.{key}"] = value
    figures["unit_table_xlsx_ms"], _wb = _ms(lambda: unit_table_workbook(stats=snapshot.stats).save(io.BytesIO()))
    figures["program_summary_xlsx_ms"], _wb = _ms(
        lambda: program_summary_workbook(program=program, scope=city).save(io.BytesIO())
    )
    figures["loadavg_1_5_15_end"] = [round(x, 2) for x in os.getloadavg()]
    return figures
