import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from applications.models import Application
from payouts.followup.services import FollowUpError, follow_up_import, study_follow_up_record
from payouts.models import FollowUpSource, ReportExport, ReportKind, StudyFollowUp
from payouts.reports.services import report_export_build
from quotas.models import AuditLog

from .factories import city_make, id_number_for, seed

pytestmark = pytest.mark.django_db


def _id_of(app: Application) -> str:
    from qiuxue.crypto import decrypt_text

    return decrypt_text(app.worker.id_number_encrypted)


def _followed(c):
    return [a for a in c.apps if a.status in ("approved", "paid")]


def _csv(rows) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["姓名", "身份证号", "学校", "状态"])
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["某学院2025年在读学员名单"])  # a title line above the header, as schools send them
    ws.append(["序号", "姓名", "身份证号", "学校", "状态"])
    for i, row in enumerate(rows, start=1):
        ws.append([i, *row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_manual_record_is_history_and_latest_is_current(jinan, county_admin):
    app = next(a for a in _followed(jinan) if a.worker.union.parent_id == jinan.counties[0].pk)
    study_follow_up_record(application=app, status="studying", actor=county_admin)
    study_follow_up_record(application=app, status="suspended", actor=county_admin, note="因工作调动休学")
    history = list(StudyFollowUp.objects.filter(application=app))
    assert [h.status for h in history] == ["suspended", "studying"]  # newest first
    assert AuditLog.objects.filter(action="followup.record", object_id=str(app.pk)).count() == 2


def test_manual_record_refuses_out_of_scope_and_unawarded(jinan, county_admin):
    other = next(a for a in _followed(jinan) if a.worker.union.parent_id == jinan.counties[1].pk)
    with pytest.raises(FollowUpError):
        study_follow_up_record(application=other, status="studying", actor=county_admin)
    in_review = next(
        a for a in jinan.apps if a.status == "in_review" and a.worker.union.parent_id == jinan.counties[0].pk
    )
    with pytest.raises(FollowUpError):
        study_follow_up_record(application=in_review, status="studying", actor=county_admin)
    assert not StudyFollowUp.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_matches_by_id_hmac_and_never_stores_the_number(jinan, city_admin, fmt):
    apps = _followed(jinan)
    words = ["在读", "毕业", "退学", "休学"]
    rows = [[a.worker.name, _id_of(a), a.school, words[i % 4]] for i, a in enumerate(apps)]
    content = _csv(rows) if fmt == "csv" else _xlsx(rows)
    result = follow_up_import(program=jinan.program, name=f"名单.{fmt}", content=content, actor=city_admin)
    assert result.written == len(apps)
    stored = {f.application_id: f for f in StudyFollowUp.objects.all()}
    expected = {"在读": "studying", "毕业": "graduated", "退学": "dropped_out", "休学": "suspended"}
    for i, a in enumerate(apps):
        assert stored[a.pk].status == expected[words[i % 4]]
        assert stored[a.pk].source == FollowUpSource.IMPORT
    log = AuditLog.objects.get(action="followup.import")
    dumped = str(log.detail) + "".join(str(vars(f)) for f in stored.values())
    assert all(_id_of(a) not in dumped for a in apps)


def test_import_with_one_unknown_row_writes_nothing_and_reports_each_row(jinan, city_admin):
    apps = _followed(jinan)
    rows = [[a.worker.name, _id_of(a), a.school, "在读"] for a in apps]
    rows.append(["李四", id_number_for(99999), "某学院", "在读"])  # nobody we subsidised
    rows.append([apps[0].worker.name, "12345", "某学院", "在读"])  # malformed number
    rows.append([apps[1].worker.name + "X", _id_of(apps[1]), "某学院", "在读"])  # name does not match
    rows.append([apps[2].worker.name, _id_of(apps[2]), "某学院", "毕业了吗"])  # unknown status
    with pytest.raises(FollowUpError) as exc:
        follow_up_import(program=jinan.program, name="名单.csv", content=_csv(rows), actor=city_admin)
    lines = "".join(exc.value.errors)
    n = len(apps) + 1  # header is line 1
    for line in (n + 1, n + 2, n + 3, n + 4):
        assert f"第{line}行" in lines
    assert not StudyFollowUp.objects.exists()
    assert not AuditLog.objects.filter(action="followup.import").exists()


def test_county_admin_cannot_import_other_counties_workers(jinan, county_admin):
    other = next(a for a in _followed(jinan) if a.worker.union.parent_id == jinan.counties[1].pk)
    with pytest.raises(FollowUpError, match="找不到"):
        follow_up_import(
            program=jinan.program,
            name="x.csv",
            content=_csv([[other.worker.name, _id_of(other), "", "在读"]]),
            actor=county_admin,
        )


def test_import_through_the_admin_page(client, jinan, city_admin):
    apps = _followed(jinan)
    client.force_login(city_admin)
    url = reverse("admin:payouts_studyfollowup_import")
    bad = SimpleUploadedFile("名单.csv", _csv([["王五", id_number_for(88888), "", "在读"]]), content_type="text/csv")
    page = client.post(url, {"program": jinan.program.pk, "file": bad})
    assert "名单未导入" in page.content.decode() and not StudyFollowUp.objects.exists()
    good = SimpleUploadedFile("名单.csv", _csv([[a.worker.name, _id_of(a), "", "在读"] for a in apps]))
    response = client.post(url, {"program": jinan.program.pk, "file": good})
    assert response.status_code == 302
    assert StudyFollowUp.objects.count() == len(apps)
    listing = client.get(reverse("admin:payouts_studyfollowup_changelist")).content.decode()
    assert apps[0].worker.name not in listing  # names masked in the list


def test_follow_up_report_counts_current_status_per_unit(jinan, city_admin):
    c = seed(city_make())  # a second programme must not leak into this one's report
    assert c.program != jinan.program
    apps = _followed(jinan)
    first, second = apps[0], apps[1]
    study_follow_up_record(application=first, status="studying", actor=city_admin)
    study_follow_up_record(application=first, status="graduated", actor=city_admin)  # current
    study_follow_up_record(application=second, status="dropped_out", actor=city_admin)
    export = ReportExport.objects.create(
        kind=ReportKind.FOLLOWUP, program=jinan.program, scope=jinan.city, requested_by=city_admin
    )
    report_export_build(export_id=export.pk)
    export.refresh_from_db()
    ws = load_workbook(export.file.path).active
    header = [c.value for c in ws[2]]
    rows = {r[1]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    total = rows.pop(None)  # the 合计 row leaves the unit column empty
    assert total[0] == "合计"
    assert total[header.index("已毕业")] == 1
    assert total[header.index("退学")] == 1
    assert total[header.index("在读")] == 0
    assert total[header.index("未跟踪")] == len(apps) - 2
    assert total[header.index("合计")] == len(apps)
    unit_of_first = first.worker.union.parent.name
    assert rows[unit_of_first][header.index("已毕业")] == 1


def test_import_folds_full_width_id_numbers_and_refuses_other_digits(jinan, city_admin):
    """Numbers are ASCII (issue 11, case 8): a school's list typed in full-width digits finds
    its workers; Arabic-Indic digits are a malformed number, not a worker we cannot find."""
    apps = _followed(jinan)
    wide = {ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}
    rows = [[a.worker.name, _id_of(a).translate(wide), a.school, "在读"] for a in apps]
    result = follow_up_import(program=jinan.program, name="名单.csv", content=_csv(rows), actor=city_admin)
    assert result.written == len(apps)
    arabic = {ord(c): 0x0660 + int(c) for c in "0123456789"}
    bad = [[apps[0].worker.name, _id_of(apps[0]).translate(arabic), apps[0].school, "毕业"]]
    with pytest.raises(FollowUpError) as exc:
        follow_up_import(program=jinan.program, name="名单.csv", content=_csv(bad), actor=city_admin)
    assert exc.value.errors == ["第2行：身份证号格式不正确。"]
