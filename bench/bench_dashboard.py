"""Dashboard and report speed: 20,000 applications (scale 1.0) over 16 units of a city.

Measures the dashboard selectors (wall time and query count), the chart rendering, and
building the unit table and programme summary XLSX files.
"""

import io
import random
import time
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import Application, Worker
from payouts.dashboard.charts import dashboard_charts
from payouts.dashboard.selectors import dashboard_stats
from payouts.models import Award, AwardStatus, AwardVia
from payouts.reports.workbooks import program_summary_workbook, unit_table_workbook
from quotas.models import Batch, FundingSource, Program, Quota, UnionLevel
from quotas.services import union_create

STATUSES = ["draft", "in_review", "in_review", "returned", "rejected", "approved", "approved", "paid", "paid"]


@transaction.atomic
def _seed(n_apps: int):
    rng = random.Random(7)
    tag = uuid.uuid4().hex[:8]
    now = timezone.now()
    city = union_create(name=f"压测市{tag}", code=f"bench-{tag}", level=UnionLevel.CITY)
    grassroots, counties = [], []
    for i in range(16):
        county = union_create(name=f"第{i}区总工会", code=f"bench-{tag}-{i}", level=UnionLevel.COUNTY, parent=city)
        counties.append(county)
        grassroots += [
            union_create(name=f"{i}-{j}工会", code=f"bench-{tag}-{i}-{j}", level=UnionLevel.GRASSROOTS, parent=county)
            for j in range(4)
        ]
    program = Program.objects.create(
        owner_union=city,
        year=2024,
        name=f"压测方案{tag}",
        slug=f"bench-{tag}",
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
    source = FundingSource.objects.create(
        program=program, name="市总", payer_union=city, amount_yuan=1000, total_slots=n_apps, uses_unit_quotas=True
    )
    quotas = {
        c.pk: Quota.objects.create(source=source, union=c, position=i, slots=n_apps // 20)
        for i, c in enumerate(counties)
    }
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"b{tag}-{i}", password="!") for i in range(n_apps)]
    )
    workers = Worker.objects.bulk_create(
        [
            Worker(
                user=u,
                name="职工",
                id_number_encrypted="x",
                id_number_hmac=f"{tag}-{i}",
                id_number_masked="x",
                birth_date=now.date(),
                phone=f"{tag}{i}"[-11:],
                employer="e",
                union=grassroots[i % len(grassroots)],
                bank_name="b",
                bank_card_encrypted="x",
                bank_card_hmac="x",
                bank_card_masked="x",
            )
            for i, u in enumerate(users)
        ]
    )
    apps = []
    for i, w in enumerate(workers):
        status = rng.choice(STATUSES)
        submitted = None if status == "draft" else now - timedelta(days=rng.randint(0, 29), minutes=i)
        tier = rng.choice([w.union, w.union.parent, city]) if status == "in_review" else None
        apps.append(
            Application(
                number=None if status == "draft" else f"B{tag}{i}",
                worker=w,
                program=program,
                batch=batch,
                level="dazhuan",
                school="s",
                major="m",
                enrolled_on=now.date(),
                chsi_code="c",
                chsi_expires_on=now.date(),
                status=status,
                submitted_at=submitted,
                last_submitted_at=submitted,
                current_tier=tier,
                union_path=w.union.path,  # bulk_create skips save(): set the scope column here
            )
        )
    apps = Application.objects.bulk_create(apps, batch_size=2000)
    Award.objects.bulk_create(
        [
            Award(
                application=a,
                source=source,
                batch=batch,
                amount_yuan=1000,
                via=AwardVia.UNIT_QUOTA,
                quota=quotas[a.worker.union.parent_id],
                status=AwardStatus.PAID if a.status == "paid" else AwardStatus.PROPOSED,
            )
            for a in apps
            if a.status in ("approved", "paid")
        ],
        batch_size=2000,
    )
    return program, city


def run(scale: float) -> dict:
    n = max(200, int(20_000 * scale))
    started = time.perf_counter()
    program, city = _seed(n)
    figures: dict[str, object] = {"applications": n, "seed_s": round(time.perf_counter() - started, 2)}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics after the bulk load, as in production
    timings = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            stats = dashboard_stats(program=program, scope=city)
            timings.append((time.perf_counter() - t) * 1000)
    figures["dashboard_stats_ms_first"] = round(timings[0], 1)
    figures["dashboard_stats_ms_median"] = round(sorted(timings)[1], 1)
    figures["dashboard_queries"] = len(queries)
    t = time.perf_counter()
    dashboard_charts(stats)
    figures["charts_ms"] = round((time.perf_counter() - t) * 1000, 1)
    # Built and saved, as the report task does: the file's bytes are part of the cost.
    t = time.perf_counter()
    unit_table_workbook(stats=stats).save(io.BytesIO())
    figures["unit_table_xlsx_ms"] = round((time.perf_counter() - t) * 1000, 1)
    t = time.perf_counter()
    program_summary_workbook(program=program, scope=city).save(io.BytesIO())
    figures["program_summary_xlsx_ms"] = round((time.perf_counter() - t) * 1000, 1)
    county = stats.units[0]
    scoped = dashboard_stats(program=program, scope=city.children.get(pk=county.union_id))
    figures["county_scope_applications"] = scoped.totals.applications
    return figures
