"""Export a payout list of 200,000 lines to XLSX: wall time and peak memory.

Goal: <= 30 s and <= 100 MB. Anchors measured on this machine for the same sheet:
openpyxl default 88 s / 1 GB, openpyxl write-only 79 s / 28 MB. Our writer streams the
sheet XML into the zip (``qiuxue/tables/stream.py``); most of the time left is decrypting
400,000 Fernet tokens (ID and card per line).

The data set (users, workers, applications, awards, one list) is built once in the bench
database in batches and reused on later runs. Run 1 measures wall time and the process's
ru_maxrss growth; run 2 repeats under tracemalloc for the Python heap peak.
"""

import resource
import time
import tracemalloc
from datetime import date, timedelta


def _clone_sql(model, *, source: str, overrides: dict[str, str]) -> str:
    """INSERT … SELECT that copies a seed row once per row of ``source``, every column
    taken from the seed unless overridden (so new columns other apps add still work)."""
    cols = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    exprs = [overrides.get(c, f"s.{c}") for c in cols]
    table = model._meta.db_table
    return f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM {table} s {source} WHERE s.id = %s"


def _dataset(n: int):
    """n lines built set-based in PostgreSQL from one seed of each row (ORM-made), so the
    set-up takes seconds, not the export's budget. Every line carries the seed's Fernet
    tokens: decrypting them costs the same per line as distinct tokens would."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from applications.models import Application, ApplicationStatus, Worker
    from payouts.models import Award, AwardStatus, AwardVia, PayoutLine, PayoutList
    from payouts.payout.services import payout_line_for_award
    from qiuxue.crypto import encrypt_text, hmac_index
    from qiuxue.masking import mask_bank_card, mask_id_number
    from quotas.models import Batch, FundingSource, Program, Union, UnionLevel
    from quotas.services import union_create

    title = f"BENCH 2024年济南市一线职工求学圆梦行动补助发放名单（市级补助·第一批）{n}"
    existing = PayoutList.objects.filter(title=title, row_count=n).first()
    if existing is not None and existing.lines.count() == n:
        return existing
    city = Union.objects.filter(code="bench-payout-city").first() or union_create(
        name="济南市总工会（基准）", code="bench-payout-city", level=UnionLevel.CITY
    )
    grassroots = Union.objects.filter(code="bench-payout-gr").first() or union_create(
        name="基准测试公司工会", code="bench-payout-gr", level=UnionLevel.GRASSROOTS, parent=city
    )
    program, _ = Program.objects.get_or_create(
        slug="bench-payout",
        defaults={"owner_union": city, "year": 2024, "name": "2024年济南市一线职工求学圆梦行动"},
    )
    now = timezone.now()
    batch, _ = Batch.objects.get_or_create(
        program=program,
        number=1,
        defaults={
            "apply_opens": now - timedelta(days=60),
            "apply_closes": now - timedelta(days=30),
            "review_opens": now - timedelta(days=60),
            "review_closes": now - timedelta(days=20),
        },
    )
    source, _ = FundingSource.objects.get_or_create(
        program=program, name="市级补助", defaults={"payer_union": city, "amount_yuan": 1000, "total_slots": n}
    )
    User = get_user_model()
    with transaction.atomic():
        # Start clean with plain filtered deletes: the ORM collector (and its IN-subquery
        # deletes, planned on stale statistics) takes minutes over 200,000 rows.
        with connection.cursor() as cur:
            for sql, params in (
                (
                    f"DELETE FROM {PayoutLine._meta.db_table} WHERE payout_list_id IN "
                    f"(SELECT id FROM {PayoutList._meta.db_table} WHERE program_id = %s)",
                    [program.pk],
                ),
                (f"DELETE FROM {PayoutList._meta.db_table} WHERE program_id = %s", [program.pk]),
                (f"DELETE FROM {Award._meta.db_table} WHERE source_id = %s", [source.pk]),
                (f"DELETE FROM {Application._meta.db_table} WHERE program_id = %s", [program.pk]),
                (f"DELETE FROM {Worker._meta.db_table} WHERE union_id = %s", [grassroots.pk]),
                (f"DELETE FROM {User._meta.db_table} WHERE username LIKE %s", ["bench-payout-%"]),
            ):
                cur.execute(sql, params)
        id_number, card = "37010219900101123X", "6222021602000000010"
        user = User.objects.create(username="bench-payout-0", password="!")
        worker = Worker.objects.create(
            user=user,
            name="职工0",
            id_number_encrypted=encrypt_text(id_number),
            id_number_hmac=hmac_index(id_number + "-bench"),
            id_number_masked=mask_id_number(id_number),
            birth_date=date(1990, 1, 1),
            phone="10000000000",
            employer="济南某某有限公司第0分公司",
            union=grassroots,
            bank_name="中国工商银行济南分行",
            bank_card_encrypted=encrypt_text(card),
            bank_card_hmac=hmac_index(card),
            bank_card_masked=mask_bank_card(card),
        )
        application = Application.objects.create(
            number="BENCH-0",
            worker=worker,
            program=program,
            batch=batch,
            level="dazhuan",
            school="山东开放大学",
            major="机械设计与制造",
            enrolled_on=date(2024, 3, 1),
            chsi_code="B",
            chsi_expires_on=date(2025, 3, 1),
            status=ApplicationStatus.APPROVED,
            submitted_at=now,
        )
        award = Award.objects.create(
            application=application,
            source=source,
            batch=batch,
            amount_yuan=1000,
            via=AwardVia.UNIT_QUOTA,
            status=AwardStatus.PUBLISHED,
            rank=1,
        )
        payout_list = PayoutList.objects.create(
            program=program,
            source=source,
            batch=batch,
            payer_union=city,
            payer_name=city.name,
            title=title,
            row_count=n,
            total_yuan=1000 * n,
        )
        # The template line is built exactly as the service builds lines; SQL clones it below.
        line = payout_line_for_award(award=award, payout_list=payout_list, sequence=1)
        line.save()
        name_expr = "CASE WHEN mod(g, 997) = 0 THEN '=HYPERLINK(1)' ELSE '职工' || g END"
        unit_expr = "'济南某某有限公司第' || mod(g, 500) || '分公司'"
        g_of_user = "CAST(substr(u.username, 14) AS integer)"
        steps = [
            (
                _clone_sql(
                    User, source="CROSS JOIN generate_series(1, %s) g", overrides={"username": "'bench-payout-' || g"}
                ),
                [n - 1, user.pk],
            ),
            (
                _clone_sql(
                    Worker,
                    source=f"JOIN auth_user u ON u.username LIKE 'bench-payout-%%' AND u.id <> {user.pk} "
                    f"CROSS JOIN LATERAL (SELECT {g_of_user} AS g) gg",
                    overrides={
                        "user_id": "u.id",
                        "phone": "'1' || lpad(g::text, 10, '0')",
                        "id_number_hmac": "md5(g::text) || md5('bench' || g::text)",
                        "name": name_expr,
                        "employer": unit_expr,
                    },
                ),
                [worker.pk],
            ),
            (
                _clone_sql(
                    Application,
                    source=f"JOIN {Worker._meta.db_table} w ON w.union_id = {grassroots.pk} AND w.id <> {worker.pk}",
                    overrides={"worker_id": "w.id", "number": "'BENCH-' || CAST(right(w.phone, 10) AS integer)"},
                ),
                [application.pk],
            ),
            (
                _clone_sql(
                    Award,
                    source=f"JOIN {Application._meta.db_table} a ON a.program_id = {program.pk} AND a.id <> {application.pk}",
                    overrides={"application_id": "a.id", "rank": "CAST(substr(a.number, 7) AS integer) + 1"},
                ),
                [award.pk],
            ),
            (
                _clone_sql(
                    PayoutLine,
                    source=f"JOIN {Award._meta.db_table} x ON x.source_id = {source.pk} AND x.id <> {award.pk} "
                    f"JOIN {Application._meta.db_table} a ON a.id = x.application_id "
                    f"JOIN {Worker._meta.db_table} w ON w.id = a.worker_id",
                    overrides={"award_id": "x.id", "sequence": "x.rank", "name": "w.name", "unit_name": "w.employer"},
                ),
                [line.pk],
            ),
        ]
        with connection.cursor() as cur:
            for sql, params in steps:
                cur.execute(sql, params)
                # Fresh statistics, or the next join is planned as a nested loop over "1 row".
                cur.execute(f"ANALYZE {sql.split()[2]}")
    return payout_list


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _on_s3(payout_list_id: int) -> dict:
    """The same export into an S3-protocol bucket (moto's standalone server on loopback,
    started and stopped here by PID), then the download streamed back through the view's
    helper: the several-machines figures beside the local-disk ones."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import uuid

    import boto3
    from django.conf import settings
    from django.test.utils import override_settings

    from payouts.models import PayoutList
    from payouts.payout.export import payout_list_export
    from qiuxue.files import private_file_response

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench", "region_name": "us-east-1"}
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        boto3.client("s3", endpoint_url=endpoint, **keys).create_bucket(Bucket=bucket)
        options = {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "access_key": "bench",
            "secret_key": "bench",
            "addressing_style": "path",
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": "AES256"},
        }
        storages = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}}
        with override_settings(STORAGES=storages):
            t0 = time.perf_counter()
            exported = payout_list_export(payout_list_id=payout_list_id, actor_id=None)
            export_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            response = private_file_response(name=exported.file.name, filename="x.xlsx", content_type="application/x")
            size = sum(len(chunk) for chunk in response.streaming_content)
            download_s = time.perf_counter() - t0
        PayoutList.objects.filter(pk=payout_list_id).update(file="")
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    return {
        "s3_export_wall_s": round(export_s, 2),
        "s3_download_stream_s": round(download_s, 2),
        "s3_xlsx_mb": round(size / 1024 / 1024, 1),
    }


def run(scale: float) -> dict:
    import gc
    import io
    import zipfile

    from django.core.files.storage import default_storage

    from payouts.models import PayoutList
    from payouts.payout.export import payout_list_export

    n = max(1000, int(200_000 * scale))
    t0 = time.perf_counter()
    payout_list = _dataset(n)
    setup_s = time.perf_counter() - t0
    gc.collect()

    rss_before = _rss_mb()
    t0 = time.perf_counter()
    exported = payout_list_export(payout_list_id=payout_list.pk, actor_id=None)
    wall_s = time.perf_counter() - t0
    rss_delta = _rss_mb() - rss_before

    tracemalloc.start()
    t0 = time.perf_counter()
    exported = payout_list_export(payout_list_id=payout_list.pk, actor_id=None)
    traced_wall_s = time.perf_counter() - t0
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    with default_storage.open(exported.file.name, "rb") as f:
        content = f.read()
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        sheet_bytes = zf.getinfo("xl/worksheets/sheet1.xml").file_size
    default_storage.delete(exported.file.name)
    PayoutList.objects.filter(pk=payout_list.pk).update(file="")
    s3 = _on_s3(payout_list.pk)
    return {
        **s3,
        "lines": n,
        "setup_s": round(setup_s, 1),
        "export_wall_s": round(wall_s, 2),
        "export_wall_s_under_tracemalloc": round(traced_wall_s, 2),
        "tracemalloc_peak_mb": round(peak / 1024 / 1024, 1),
        "ru_maxrss_delta_mb": round(rss_delta, 1),
        "ru_maxrss_mb": round(_rss_mb(), 1),
        "xlsx_mb": round(len(content) / 1024 / 1024, 1),
        "sheet_xml_mb": round(sheet_bytes / 1024 / 1024, 1),
        "goal": "<= 30 s and <= 100 MB",
    }
