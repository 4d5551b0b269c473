import io
import time

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from payouts.models import ReportExport, ReportKind
from payouts.reports.services import report_export_build, report_export_request
from quotas.models import AuditLog

from .factories import PLAN, admin_make, city_make, expected_for, seed


def _book(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _request(client, program, kind):
    return client.post(reverse("admin:payouts_report_request"), {"program": program.pk, "kind": kind})


@pytest.mark.django_db
def test_unit_table_has_the_quota_table_shape_and_totals(client, jinan, city_admin, django_capture_on_commit_callbacks):
    client.force_login(city_admin)
    with django_capture_on_commit_callbacks(execute=True):
        _request(client, jinan.program, ReportKind.UNIT_TABLE)
    export = ReportExport.objects.get()
    assert export.status == "done" and export.progress == 100
    # Private: the file lives under MEDIA_ROOT, which no URL serves.
    assert str(settings.MEDIA_ROOT) in export.file.path
    response = client.get(reverse("admin:payouts_report_download", args=[export.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    ws = _book(response).active
    assert jinan.program.name in ws["A1"].value and "分单位统计表" in ws["A1"].value
    header = [c.value for c in ws[2]]
    assert header[:3] == ["序号", "单位", "拟补贴人数"]
    assert {"申请人数", "终审通过", "已分配", "已发放", "补助金额（元）"} <= set(header)
    col = {name: i for i, name in enumerate(header)}
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    body, pool, total = rows[:-2], rows[-2], rows[-1]
    assert [r[col["单位"]] for r in body] == [u.name for u in jinan.counties]
    assert [r[col["序号"]] for r in body] == [1, 2]
    assert pool[col["单位"]] == "全市调剂名额"  # the city's own line, in the 合计
    for index, row in enumerate(body):
        exp = expected_for(index)
        assert row[col["拟补贴人数"]] == jinan.quotas[jinan.counties[index].pk].slots
        assert row[col["申请人数"]] == exp["applications"]
        assert row[col["终审通过"]] == exp["approved"]
        assert row[col["已分配"]] == exp["awarded"]
        assert row[col["已发放"]] == exp["paid"]
        assert row[col["补助金额（元）"]] == exp["money_live"]
    assert total[0] == "合计"
    for name in ("拟补贴人数", "申请人数", "终审通过", "已分配", "已发放", "补助金额（元）"):
        assert total[col[name]] == sum(r[col[name]] or 0 for r in [*body, pool])
    assert AuditLog.objects.filter(action="report.download", object_id=str(export.pk), actor=city_admin).count() == 1


@pytest.mark.django_db
def test_program_summary_has_a_sheet_per_source_and_rows_per_batch(jinan, city_admin):
    export = ReportExport.objects.create(
        kind=ReportKind.PROGRAM_SUMMARY, program=jinan.program, scope=jinan.city, requested_by=city_admin
    )
    report_export_build(export_id=export.pk)
    export.refresh_from_db()
    wb = load_workbook(export.file.path)
    assert wb.sheetnames == ["汇总", *[f"{i}-{s.name}" for i, s in enumerate(jinan.sources.values(), start=1)]]
    summary = list(wb["汇总"].iter_rows(min_row=3, values_only=True))
    assert summary[0][0] == str(jinan.batch)
    assert summary[0][1] == sum(expected_for(i)["applications"] for i in PLAN)
    city_sheet = wb[f"2-{jinan.sources['city'].name}"]
    header = [c.value for c in city_sheet[2]]
    batch_row = next(city_sheet.iter_rows(min_row=3, max_row=3, values_only=True))
    awarded = sum(expected_for(i)["awarded"] for i in PLAN)
    paid = sum(1 for rows in PLAN.values() for _, _, a in rows if a == "paid")
    assert batch_row[header.index("拟补助人数")] == awarded
    assert batch_row[header.index("拟补助金额（元）")] == awarded * 1000
    assert batch_row[header.index("已发放人数")] == paid


@pytest.mark.django_db
def test_county_admin_cannot_take_the_city_report_and_gets_its_own_scope(client, jinan, city_admin, county_admin):
    city_export = ReportExport.objects.create(
        kind=ReportKind.UNIT_TABLE, program=jinan.program, scope=jinan.city, requested_by=city_admin
    )
    report_export_build(export_id=city_export.pk)
    client.force_login(county_admin)
    assert client.get(reverse("admin:payouts_report_download", args=[city_export.pk])).status_code == 404
    assert not AuditLog.objects.filter(action="report.download").exists()
    own = report_export_request(user=county_admin, program=jinan.program, kind=ReportKind.UNIT_TABLE)
    report_export_build(export_id=own.pk)
    ws = _book(client.get(reverse("admin:payouts_report_download", args=[own.pk]))).active
    units = [r[1] for r in ws.iter_rows(min_row=3, values_only=True)][:-1]
    assert units == [jinan.counties[0].name]


@pytest.mark.django_db
def test_build_is_idempotent_on_retry(jinan, city_admin):
    export = ReportExport.objects.create(
        kind=ReportKind.UNIT_TABLE, program=jinan.program, scope=jinan.city, requested_by=city_admin
    )
    report_export_build(export_id=export.pk)
    export.refresh_from_db()
    first = export.file.name
    report_export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.file.name == first and export.status == "done"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_large_report_is_built_by_the_worker_with_progress(celery_worker_process):
    c = seed(city_make())
    admin = admin_make(c.city)
    export = report_export_request(user=admin, program=c.program, kind=ReportKind.PROGRAM_SUMMARY)
    seen = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        export.refresh_from_db()
        seen.add(export.progress)
        if export.status in ("done", "failed"):
            break
        time.sleep(0.05)
    assert export.status == "done", export.message
    assert export.progress == 100 and export.finished_at is not None
    wb = load_workbook(export.file.path)
    assert "汇总" in wb.sheetnames
