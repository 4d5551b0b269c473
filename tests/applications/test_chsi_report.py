"""The 学信网 report read from PDFs the tests write: both layouts, any order, and the files
that must not be guessed at (scans, damaged, encrypted, hostile)."""

import zlib
from datetime import date

import pytest

from applications.chsi_report import MAX_PAGES, ReadStatus, chsi_report_read, fields_from_text
from tests.chsi_pdfs import (
    NEW_LAYOUT,
    OLD_LAYOUT,
    encrypted_pdf,
    image_only_pdf,
    pdf_of_objects,
    report_lines,
    report_pdf,
    text_pdf,
)

COMMON = {
    "name": "张三",
    "sex": "男",
    "birth_date": "1990-01-01",
    "school": "济南职业学院",
    "level": "专科",
    "major": "机电一体化技术",
    "study_form": "业余",
    "enrolled_on": "2026-03-01",
    "status": "在籍（注册学籍）",
    "code": "A1B2C3D4E5F6G7",
    "updated_on": "2026-05-20",
    "valid_until": "2027-06-01",
}


def test_old_layout_reads_every_field_with_the_id_number():
    reading = chsi_report_read(report_pdf(layout=OLD_LAYOUT))
    assert reading.status == ReadStatus.READ and reading.layout == "old"
    assert {k: reading.fields[k] for k in COMMON} == COMMON
    assert reading.fields["id_number"] == "110101199001011237"
    assert reading.fields["department"] == "继续教育学院" and reading.fields["student_number"] == "20260001"
    assert reading.fields["education_type"] == "成人高等教育"


def test_new_layout_reads_the_same_fields_without_an_id_number():
    reading = chsi_report_read(report_pdf(layout=NEW_LAYOUT))
    assert reading.status == ReadStatus.READ and reading.layout == "new"
    assert {k: reading.fields[k] for k in COMMON} == COMMON
    assert "id_number" not in reading.fields
    assert reading.date("valid_until") == date(2027, 6, 1)


@pytest.mark.parametrize("layout", [OLD_LAYOUT, NEW_LAYOUT])
def test_field_order_does_not_matter(layout):
    lines = report_lines(layout=layout, school="山东开放大学", level="本科")
    shuffled = [lines[0], *reversed(lines[1:])]
    reading = chsi_report_read(text_pdf(shuffled))
    assert reading.fields["school"] == "山东开放大学" and reading.fields["level"] == "本科"
    assert reading.fields["valid_until"] == "2027-06-01"


def test_several_fields_a_line_and_a_label_inside_a_longer_label():
    fields = fields_from_text("姓名 李四 性别 女 院校 某某大学\n学习形式：函授 层次：本科\n专业：会计学")
    assert fields == {
        "name": "李四",
        "sex": "女",
        "school": "某某大学",
        "study_form": "函授",
        "level": "本科",
        "major": "会计学",
    }


def test_validity_stated_as_a_span_reads_its_end_and_an_impossible_date_is_not_read():
    fields = fields_from_text("在线验证报告有效期 2026年05月20日至2027年06月01日\n入学日期 2026年02月30日")
    assert fields["valid_until"] == "2027-06-01"
    assert "enrolled_on" not in fields  # no guess


def test_image_only_pdf_reads_as_a_scan():
    reading = chsi_report_read(image_only_pdf())
    assert reading.status == ReadStatus.NO_TEXT and reading.fields == {}
    assert reading.message == "无法自动核对（扫描件）"


def test_a_photo_of_the_report_reads_as_a_scan():
    from tests.applications.factories import jpeg_bytes

    assert chsi_report_read(jpeg_bytes()).status == ReadStatus.NO_TEXT


def test_encrypted_pdf_is_not_read():
    reading = chsi_report_read(encrypted_pdf(report_pdf()))
    assert reading.status == ReadStatus.ENCRYPTED and reading.fields == {}


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n garbage",
        report_pdf()[:400],  # truncated
        report_pdf().replace(b"/Type /Pages", b"/Type /Pagez"),
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 1 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF",  # loop
    ],
)
def test_damaged_or_hostile_pdf_never_crashes_and_never_guesses(data):
    reading = chsi_report_read(data)
    assert reading.status in (ReadStatus.DAMAGED, ReadStatus.NO_TEXT) and reading.fields == {}


def test_too_many_pages_is_refused_before_reading():
    data = text_pdf(report_lines(), pages=MAX_PAGES + 1)
    assert chsi_report_read(data).status == ReadStatus.TOO_LARGE


def test_a_text_pdf_that_is_not_a_report_is_said_so():
    assert chsi_report_read(text_pdf(["申请表", "本人签名"])).status == ReadStatus.NOT_REPORT


def test_a_decompression_bomb_is_read_within_bounds():
    # 40 MB of spaces in a flate stream (~40 KB compressed), then the report's text.
    content = b" " * 40_000_000 + b"BT /F1 12 Tf (x) Tj ET"
    packed = zlib.compress(content, 9)
    good = text_pdf(report_lines())
    assert chsi_report_read(good).is_read
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
    ]
    reading = chsi_report_read(pdf_of_objects(objects))
    assert reading.status in (ReadStatus.NO_TEXT, ReadStatus.DAMAGED, ReadStatus.NOT_REPORT)
