"""报告核对: the stored reading against the application and profile; every ✗ is a flag."""

import itertools
from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from applications.models import ReportReading, ReportReadingStatus
from applications.report_readings import report_reading_run
from quotas.models import CatalogueEntry, DocumentKind, EducationLevel
from reviews.flags import FlagCode, flags_for_applications
from reviews.models import ReviewDecision
from reviews.report_check import report_check_for
from tests.chsi_pdfs import NEW_LAYOUT, OLD_LAYOUT, image_only_pdf, report_pdf

from .conftest import add_attachment, make_admin, make_submitted, make_worker

_ids = itertools.count(1000)


def _app_with_report(tree, program, *, app_level=EducationLevel.DAZHUAN, **report):
    id_number = f"37010219900101{next(_ids)}"
    worker = make_worker(tree.grassroots_a1, id_number=id_number)
    app = make_submitted(worker, program, level=app_level)
    fields = {
        "layout": OLD_LAYOUT,
        "name": "张三丰",
        "id_number": id_number,
        "birth": date(1990, 1, 1),
        "school": "山东开放大学",
        "level": "专科",
        "major": "机电一体化技术",
        "enrolled": date(app.program.year, 3, 1),
        "status": "在籍（注册学籍）",
        "code": app.chsi_code,
        "valid_until": timezone.localdate() + timedelta(days=400),
        **report,
    }
    att = add_attachment(app, DocumentKind.CHSI_REPORT, content=report_pdf(**fields))
    report_reading_run(attachment_id=att.pk)
    return app


def _results(check):
    return {row.label: row.mark for row in check.rows}


@pytest.mark.django_db
@pytest.mark.parametrize("layout", [OLD_LAYOUT, NEW_LAYOUT])
def test_a_matching_report_is_all_ticks_and_no_flag(tree, program, layout):
    app = _app_with_report(tree, program, layout=layout)
    check = report_check_for(app)
    assert check.source == "PDF 文字层"
    results = _results(check)
    assert set(results.values()) == {"✓"}, results
    assert ("证件号码" in results) == (layout == OLD_LAYOUT)
    assert FlagCode.REPORT_MISMATCH not in [f.code for f in flags_for_applications([app])[app.pk]]


@pytest.mark.django_db
def test_each_mismatch_is_a_cross_and_one_flag_naming_the_fields(tree, program):
    app = _app_with_report(
        tree,
        program,
        name="李四",
        id_number="110101198505051234",
        birth=date(1985, 5, 5),
        level="本科",
        enrolled=date(program[0].year - 1, 9, 1),
        status="休学",
        code="ZZZZ99998888",
        valid_until=timezone.localdate() + timedelta(days=30),
    )
    results = _results(report_check_for(app))
    crossed = {label for label, mark in results.items() if mark == "✗"}
    assert crossed == {
        "姓名",
        "出生日期（对照身份证号）",
        "证件号码",
        "层次",
        "入学日期",
        "学籍状态",
        "报告有效期",
        "在线验证码",
    }
    assert results["院校"] == results["专业"] == "✓"
    (flag,) = [f for f in flags_for_applications([app])[app.pk] if f.code == FlagCode.REPORT_MISMATCH]
    assert "姓名：报告为李四，应为张三丰" in flag.detail and "层次：报告为本科" in flag.detail
    assert flag.label == "学信网报告内容与申请不符"


@pytest.mark.django_db
def test_gao_sheng_zhuan_needs_zhuanke_and_zhuan_sheng_ben_needs_benke(tree, program):
    gsz = _app_with_report(tree, program, app_level=EducationLevel.GAO_SHENG_ZHUAN)
    assert _results(report_check_for(gsz))["层次"] == "✓"
    zsb = _app_with_report(tree, program, app_level=EducationLevel.ZHUAN_SHENG_BEN)  # report says 专科
    assert _results(report_check_for(zsb))["层次"] == "✗"
    zsb_ok = _app_with_report(tree, program, app_level=EducationLevel.ZHUAN_SHENG_BEN, level="本科")
    assert _results(report_check_for(zsb_ok))["层次"] == "✓"


@pytest.mark.django_db
def test_school_and_major_against_the_catalogue_where_there_is_one(tree, program):
    app = _app_with_report(tree, program)
    assert "院校专业目录" not in _results(report_check_for(app))  # no catalogue: no row
    CatalogueEntry.objects.create(
        program=app.program, school="山东开放大学", level=EducationLevel.DAZHUAN, major="会计"
    )
    assert _results(report_check_for(app))["院校专业目录"] == "✗"
    CatalogueEntry.objects.create(
        program=app.program, school="山东开放大学", level=EducationLevel.DAZHUAN, major="机电一体化技术"
    )
    assert _results(report_check_for(app))["院校专业目录"] == "✓"


@pytest.mark.django_db
def test_a_scan_and_a_pending_reading_say_so_and_raise_no_flag(tree, program):
    app = make_submitted(make_worker(tree.grassroots_a1), program)
    att = add_attachment(app, DocumentKind.CHSI_REPORT, content=image_only_pdf())
    ReportReading.objects.create(attachment=att)
    check = report_check_for(app)
    assert check.is_pending and check.message == "核对中" and check.rows == []
    html = render_to_string("admin/reviews/application/_report_check.html", {"report_check": check})
    assert "核对中" in html
    report_reading_run(attachment_id=att.pk)
    check = report_check_for(app)
    assert check.status == ReportReadingStatus.NO_TEXT and check.message == "无法自动核对（扫描件）"
    assert "无法自动核对（扫描件）" in render_to_string(
        "admin/reviews/application/_report_check.html", {"report_check": check}
    )
    assert FlagCode.REPORT_MISMATCH not in [f.code for f in flags_for_applications([app])[app.pk]]


@pytest.mark.django_db
def test_review_page_passes_the_check_and_approval_needs_the_flag_acknowledged(client, tree, program):
    app = _app_with_report(tree, program, name="李四")
    client.force_login(make_admin(tree.grassroots_a1))
    url = reverse("admin:applications_application_change", args=[app.pk])
    page = client.get(url)
    check = page.context["report_check"]
    assert [r.label for r in check.mismatches] == ["姓名"]
    html = render_to_string("admin/reviews/application/_report_check.html", {"report_check": check})
    assert "报告核对" in html and "李四" in html and "✗" in html
    refused = client.post(url, {"decision": "approve", "approve-reason": "同意"}, follow=True)
    assert "风险提示未确认" in refused.content.decode()
    done = client.post(
        url,
        {"decision": "approve", "approve-reason": "同意", "approve-acknowledged_flags": [FlagCode.REPORT_MISMATCH]},
    )
    assert done.status_code == 302
    decision = ReviewDecision.objects.get(application=app)
    assert FlagCode.REPORT_MISMATCH in decision.flags_acknowledged
