"""The review changelist with 1,000,000 applications (scale 1.0) under a Jinan-like tree.

Data is inserted set-based (``INSERT … SELECT generate_series``): a city federation, 56
units under it (names from the Jinan 2024 quota table), 4 townships per unit and 5
grassroots unions per township (1,120 grassroots); ``N/5`` workers and five yearly
programmes (2020–2024), every worker applying once a year, so the one-live-application-
per-programme constraint holds. Past years are mostly paid; the current year is spread
over every review tier. Re-runs with the same scale reuse the data (detected by count).

Then the review changelist is requested with Django's test Client as a county admin and
as the city admin (default view = "my queue", and the city's full history view), and
the figures are queries per page and p50/p95 milliseconds per page.
"""

import csv
import os
import statistics
import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application
from quotas.demo import DATA_DIR
from quotas.models import Batch, Program, Union, UnionAdmin, UnionLevel
from quotas.services import union_admin_create, union_create

CITY_CODE = "BENCH-RV-JN"
YEARS = (2020, 2021, 2022, 2023, 2024)
REQUESTS = 30
QUOTA_TABLE = DATA_DIR / "jinan-2024-quota-table.csv"


def _unit_names() -> list[str]:
    with QUOTA_TABLE.open(encoding="utf-8") as fh:
        names = [row["单位"] for row in csv.DictReader(fh) if row.get("单位")]
    return [n for n in names if "调剂" not in n][:56]


def _build_tree() -> tuple[Union, list[Union], dict[int, list[int]]]:
    city = union_create(name="济南市总工会（审核压测）", code=CITY_CODE, level=UnionLevel.CITY)
    units, chains = [], {}
    for u, name in enumerate(_unit_names()):
        unit = union_create(name=name, code=f"{CITY_CODE}-{u:02d}", level=UnionLevel.COUNTY, parent=city)
        units.append(unit)
        for t in range(4):
            town = union_create(
                name=f"{name}第{t + 1}街道工会", code=f"{unit.code}-{t}", level=UnionLevel.TOWNSHIP, parent=unit
            )
            for g in range(5):
                grass = union_create(
                    name=f"{town.name}第{g + 1}基层工会",
                    code=f"{town.code}-{g}",
                    level=UnionLevel.GRASSROOTS,
                    parent=town,
                )
                chains[grass.pk] = [grass.pk, town.pk, unit.pk, city.pk]
    return city, units, chains


def _programs(city: Union) -> dict[int, tuple[int, list[int]]]:
    out = {}
    for year in YEARS:
        program = Program.objects.create(
            owner_union=city,
            year=year,
            name=f"{year}年济南市一线职工求学圆梦行动（压测）",
            slug=f"bench-rv-{year}",
            eligible_levels=["dazhuan", "benke"],
            review_tiers=["grassroots", "township", "county", "city"],
        )
        batches = []
        for number, (m1, m2) in enumerate(((5, 6), (6, 7), (10, 11)), start=1):
            # 2024 batch 1 closed its review window: its pending rows count as overdue.
            batch = Batch.objects.create(
                program=program,
                number=number,
                apply_opens=datetime(year, m1, 8, tzinfo=UTC),
                apply_closes=datetime(year, m2, 6, tzinfo=UTC),
                review_opens=datetime(year, m1, 8, tzinfo=UTC),
                review_closes=datetime(year if year < 2024 else 2099, m2, 14, tzinfo=UTC),
            )
            batches.append(batch.pk)
        out[year] = (program.pk, batches)
    return out


def _insert(n_apps: int, city: Union, chains: dict[int, list[int]], programs) -> None:
    n_workers = max(2000, n_apps // len(YEARS))
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_rv_chain (k int, g bigint, t bigint, u bigint, c bigint)")
        cur.executemany(
            "INSERT INTO bench_rv_chain VALUES (%s, %s, %s, %s, %s)",
            [(k, *chain) for k, chain in enumerate(chains.values())],
        )
        cur.execute("CREATE TEMP TABLE bench_rv_program (y int, program_id bigint, b1 bigint, b2 bigint, b3 bigint)")
        cur.executemany(
            "INSERT INTO bench_rv_program VALUES (%s, %s, %s, %s, %s)",
            [(i, pk, *batches) for i, (pk, batches) in enumerate(programs.values())],
        )
        cur.execute(
            """
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                                   is_staff, is_active, date_joined)
            SELECT '!', false, 'bench-rv-w-' || i, '', '', '', false, true, now()
            FROM generate_series(1, %s) AS i
            """,
            [n_workers],
        )
        n_chains = len(chains)
        # One worker in 400 shares a bank card with the next one: the flags have work to do.
        cur.execute(
            """
            INSERT INTO applications_worker (user_id, name, id_number_encrypted, id_number_hmac, id_number_masked,
                birth_date, phone, email, employer, union_id, position, is_frontline, is_migrant, is_public_sector,
                is_model_worker, is_new_form_worker, categories, bank_name, bank_card_encrypted, bank_card_hmac,
                bank_card_masked, created_at, updated_at)
            SELECT u.id, '职工' || i, 'x', md5('rv-id-' || i) || md5('rv-id2-' || i), '3701**********' || lpad((i %% 10000)::text, 4, '0'),
                   date '1990-01-01' + (i %% 7000), '18' || lpad(i::text, 9, '0'), '', '单位' || (i %% 997), ch.g, '',
                   true, i %% 3 = 0, i %% 10 = 0, i %% 50 = 0, i %% 7 = 0, '[]'::jsonb, '工商银行', 'x',
                   md5('rv-card-' || (CASE WHEN i %% 400 = 1 THEN i + 1 ELSE i END)) || md5('c'),
                   '6222 **** **** ' || lpad((i %% 10000)::text, 4, '0'), now(), now()
            FROM generate_series(1, %s) AS i
            JOIN auth_user u ON u.username = 'bench-rv-w-' || i
            JOIN bench_rv_chain ch ON ch.k = i %% %s
            """,
            [n_workers, n_chains],
        )
        cur.execute(
            "CREATE TEMP TABLE bench_rv_worker AS SELECT row_number() OVER (ORDER BY w.id) - 1 AS k, w.id, w.union_id "
            "FROM applications_worker w JOIN auth_user u ON u.id = w.user_id WHERE u.username LIKE 'bench-rv-w-%%'"
        )
        cur.execute("CREATE INDEX ON bench_rv_worker (k)")
        # Application i: worker i mod W, programme i div W (one per worker per year).
        # Current year (last programme): 60 %% in review spread over the four tiers.
        cur.execute(
            """
            INSERT INTO applications_application (number, worker_id, program_id, batch_id, level, school, major,
                enrolled_on, chsi_code, chsi_expires_on, status, submitted_at, last_submitted_at, current_tier_id,
                review_chain, union_path, returned_at, return_fields, return_reason, seat_status, seat_rank,
                stage, created_at, updated_at)
            SELECT 'RV' || (2020 + p.y) || lpad(i::text, 8, '0'), w.id, p.program_id,
                   CASE i %% 3 WHEN 0 THEN p.b1 WHEN 1 THEN p.b2 ELSE p.b3 END,
                   CASE WHEN i %% 2 = 0 THEN 'dazhuan' ELSE 'benke' END, '山东开放大学', '机电一体化技术',
                   make_date(2020 + p.y, 3, 1), 'CHSI' || i, make_date(2021 + p.y, 3, 1),
                   st.status, sub.at, sub.at,
                   CASE WHEN st.status = 'in_review' THEN
                        CASE (i / 7) %% 4 WHEN 0 THEN ch.g WHEN 1 THEN ch.t WHEN 2 THEN ch.u ELSE ch.c END
                        ELSE ch.c END,
                   jsonb_build_array(ch.g, ch.t, ch.u, ch.c), gu.path, NULL, '[]'::jsonb, '', '', NULL, 1, sub.at, sub.at
            FROM generate_series(0, %s - 1) AS i
            JOIN bench_rv_worker w ON w.k = i %% %s
            JOIN quotas_union gu ON gu.id = w.union_id
            JOIN bench_rv_program p ON p.y = i / %s
            JOIN bench_rv_chain ch ON ch.g = w.union_id
            CROSS JOIN LATERAL (SELECT make_timestamptz(2020 + p.y, 5, 8, 0, 0, 0, 'Asia/Shanghai')
                                       + (i %% 100000) * interval '37 seconds' AS at) sub
            CROSS JOIN LATERAL (SELECT CASE
                WHEN p.y < 4 THEN (CASE WHEN i %% 10 < 8 THEN 'paid' WHEN i %% 10 = 8 THEN 'rejected' ELSE 'withdrawn' END)
                ELSE (CASE WHEN i %% 20 < 12 THEN 'in_review' WHEN i %% 20 < 16 THEN 'approved'
                           WHEN i %% 20 = 16 THEN 'returned' ELSE 'rejected' END) END AS status) st
            """,
            [n_apps, n_workers, n_workers],
        )


def _ensure_data(n_apps: int) -> tuple[Union, list[Union], bool]:
    city = Union.objects.filter(code=CITY_CODE).first()
    if city is not None:
        have = Application.objects.filter(program__owner_union=city).count()
        if have == n_apps:
            _vacuum_analyze()
            return city, list(Union.objects.filter(parent=city).order_by("path")), True
        _drop(city)
    with transaction.atomic():
        city, units, chains = _build_tree()
        programs = _programs(city)
        _insert(n_apps, city, chains, programs)
    _vacuum_analyze()
    return city, units, False


def _vacuum_analyze() -> None:
    # Statistics for the planner, and a visibility map so the capped counts can be
    # index-only scans (as on a production table that autovacuum keeps up).
    with connection.cursor() as cur:
        for table in ("applications_application", "applications_worker", "quotas_union"):
            cur.execute(f"VACUUM (ANALYZE) {table}")


def _drop(city: Union) -> None:
    """Remove an earlier run's data of another size (ours only: other benchmarks share the db)."""
    with transaction.atomic(), connection.cursor() as cur:
        params = [city.path + "%"]
        cur.execute(
            "DELETE FROM reviews_flagcheck f USING applications_application a, quotas_program p, quotas_union u "
            "WHERE f.application_id = a.id AND a.program_id = p.id AND p.owner_union_id = u.id AND u.path LIKE %s",
            params,
        )
        cur.execute(
            "DELETE FROM applications_application a USING quotas_program p, quotas_union u "
            "WHERE a.program_id = p.id AND p.owner_union_id = u.id AND u.path LIKE %s",
            params,
        )
        cur.execute(
            "DELETE FROM applications_worker w USING quotas_union u WHERE w.union_id = u.id AND u.path LIKE %s",
            params,
        )
        cur.execute(
            "DELETE FROM quotas_unionadmin a USING quotas_union u WHERE a.union_id = u.id AND u.path LIKE %s", params
        )
        # The staff accounts' authenticators (``staff_session_verify``) go with them.
        cur.execute(
            "DELETE FROM otp_totp_totpdevice d USING auth_user u WHERE d.user_id = u.id AND u.username LIKE 'bench-rv-%%'"
        )
        cur.execute("DELETE FROM auth_user WHERE username LIKE 'bench-rv-%%'")
        cur.execute(
            "DELETE FROM quotas_batch b USING quotas_program p, quotas_union u "
            "WHERE b.program_id = p.id AND p.owner_union_id = u.id AND u.path LIKE %s",
            params,
        )
        cur.execute(
            "DELETE FROM quotas_program p USING quotas_union u WHERE p.owner_union_id = u.id AND u.path LIKE %s", params
        )
        cur.execute("DELETE FROM quotas_union WHERE path LIKE %s", params)


def _admin_for(union: Union, name: str):
    user, _ = get_user_model().objects.get_or_create(username=name)
    if not UnionAdmin.objects.filter(user=user).exists():
        union_admin_create(user=user, union=union)
    return user


def _measure(user, params: dict, page: str = "admin:applications_application_changelist") -> dict:
    from tests.conftest import staff_session_verify  # the same verified-device session as the tests

    client = Client()
    client.force_login(user)
    staff_session_verify(client.session, user)
    url = reverse(page)
    response = client.get(url, params)  # warm caches and connection
    assert response.status_code == 200, response.status_code
    # The query log is a bounded deque; start from empty so the capture slices correctly.
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    # Read now: the next request's request_started signal empties the query log.
    n_queries = len(ctx)
    # No test instrumentation here (it would slow rendering): count the row checkboxes.
    rows = response.content.decode().count('name="_selected_action"')
    ours = sum(1 for q in ctx.captured_queries if "quotas_unionadmin" not in q["sql"])
    # Wall time per page, and two parts of it that do not depend on how busy the machine
    # is with other work: this process's CPU time (rendering) and the time spent waiting
    # for PostgreSQL (SQL).
    times, cpu, sql = [], [], []
    for _ in range(REQUESTS):
        waited = [0.0]

        def timed(execute, sql_, params_, many, context, waited=waited):
            t0 = time.perf_counter()
            try:
                return execute(sql_, params_, many, context)
            finally:
                waited[0] += time.perf_counter() - t0

        started, started_cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(timed):
            client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        sql.append(waited[0] * 1000)
    q = statistics.quantiles(times, n=20)
    return {
        "rows_on_page": rows,
        "queries_per_page": n_queries,
        "queries_excluding_admin_lookups": ours,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(q[18], 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "sql_p50_ms": round(statistics.median(sql), 1),
        "sql_p95_ms": round(statistics.quantiles(sql, n=20)[18], 1),
    }


def _flags_stored_against_computed(user) -> dict:
    """The risk flags of one queue page (50 rows of the city's history, where shared cards
    are): read from the stored checks (``reviews.flag_checks``, as the pages do now) against
    computed on the view (as they did before issue 19's "computed once")."""
    from reviews.flag_checks import flag_checks_run, stored_flags_for
    from reviews.flags import flags_for_applications

    apps = list(
        Application.objects.filter(program__owner_union__path__startswith=UnionAdmin.objects.get(user=user).union.path)
        .exclude(status="draft")
        .select_related("worker", "program")
        .order_by("submitted_at", "id")[:50]
    )
    flag_checks_run(application_ids=[a.pk for a in apps], cascade=False)
    out = {}
    for name, read in (("flags_computed_on_view", flags_for_applications), ("flags_read_stored", stored_flags_for)):
        times, queries = [], 0
        for _ in range(REQUESTS):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                read(apps)
                times.append((time.perf_counter() - started) * 1000)
            queries = len(ctx)
        out[f"{name}.queries"] = queries
        out[f"{name}.p50_ms"] = round(statistics.median(times), 2)
        out[f"{name}.p95_ms"] = round(statistics.quantiles(times, n=20)[18], 2)
    out["flags_page_computed_over_stored_p95"] = round(
        out["flags_computed_on_view.p95_ms"] / max(out["flags_read_stored.p95_ms"], 0.01), 1
    )
    return out


def run(scale: float) -> dict:
    n_apps = max(5000, int(1_000_000 * scale))
    # Measure as deployed: DEBUG off (templates not in debug mode, no query log).
    settings.DEBUG = False
    started = time.perf_counter()
    city, units, reused = _ensure_data(n_apps)
    setup_s = round(time.perf_counter() - started, 1)
    county_user = _admin_for(units[0], "bench-rv-county-admin")
    city_user = _admin_for(city, "bench-rv-city-admin")
    figures: dict[str, object] = {
        "loadavg_1_5_15_start": [round(x, 2) for x in os.getloadavg()],
        "applications": n_apps,
        "workers": Application.objects.filter(program__owner_union=city).values("worker").distinct().count()
        if not reused
        else "reused",
        "data_reused": reused,
        "setup_s": setup_s,
        "requests_per_case": REQUESTS,
    }
    cases = {
        "county_my_queue": (county_user, {}),
        "city_my_queue": (city_user, {}),
        "city_all_history": (city_user, {"queue": "all"}),
        "city_filtered_unit_status": (city_user, {"queue": "all", "unit": units[3].pk, "status": "paid"}),
        "city_search_name": (city_user, {"queue": "all", "q": "职工1234"}),
        # The risk filter reads the stored checks (reviews.flag_checks): a join, no check run.
        "city_risk_filter": (city_user, {"queue": "all", "risk": "any"}),
    }
    for name, (user, params) in cases.items():
        for key, value in _measure(user, params).items():
            figures[f"{name}.{key}"] = value
    figures.update(_flags_stored_against_computed(city_user))
    # The review overview (pending per tier and per unit, overdue) of the whole subtree.
    overview = "admin:reviews_reviewoverview_changelist"
    for name, user in {"county_overview": county_user, "city_overview": city_user}.items():
        for key, value in _measure(user, {}, page=overview).items():
            if key != "rows_on_page":
                figures[f"{name}.{key}"] = value
    figures["loadavg_1_5_15_end"] = [round(x, 2) for x in os.getloadavg()]
    return figures
