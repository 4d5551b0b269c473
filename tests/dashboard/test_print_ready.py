"""Every workbook we produce is ready to print and to file (issue 18): A4 landscape, one
page wide, title and header repeated on every page, the programme (and batch) at the top
of each page, page numbers at the bottom; borders, a frozen header, totals with the pool.
Each file is read back with openpyxl, as the clerk's Excel would open it."""

import io

import pytest
from openpyxl import load_workbook

from payouts.allocation.selectors import quota_usage
from payouts.allocation.xlsx import quota_usage_xlsx
from payouts.dashboard.selectors import dashboard_stats
from payouts.reports.workbooks import follow_up_workbook, program_summary_workbook, unit_table_workbook
from qiuxue.tables.sheets import workbook_bytes
from quotas.models import Quota
from quotas.quota_tables.export import quota_table_export_xlsx

from .factories import PLAN, expected_for

pytestmark = pytest.mark.django_db


def _book(content: bytes):
    return load_workbook(io.BytesIO(content))


def assert_print_ready(ws, *, header_has: str, header_row: int = 2) -> None:
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0  # one page wide, as long as needed
    assert ws.print_title_rows == f"$1:${header_row}"
    assert header_has in ws.oddHeader.center.text
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert ws.freeze_panes in ("A3", "C3")
    last = ws.max_row
    for row in (header_row, header_row + 1, last):
        assert ws.cell(row=row, column=1).border.left.style == "thin"
        assert ws.cell(row=row, column=ws.max_column).border.right.style == "thin"


def _with_pool(jinan, slots: int = 4) -> Quota:
    pool = Quota.objects.get(source=jinan.sources["city"], is_pool=True)
    pool.slots = slots
    pool.save(update_fields=["slots"])
    return pool


def test_quota_table_and_usage_print_with_the_programme_and_source(jinan):
    _with_pool(jinan)
    source = jinan.sources["city"]
    for content in (
        quota_table_export_xlsx(source=source),
        quota_usage_xlsx(source=source, rows=quota_usage(source=source)),
    ):
        ws = _book(content).active
        assert_print_ready(ws, header_has=f"{jinan.program.name}　{source.name}")


def test_usage_xlsx_has_the_pages_nine_columns_and_a_total_with_the_pool(jinan):
    _with_pool(jinan, slots=4)
    source = jinan.sources["city"]
    rows = quota_usage(source=source)
    ws = _book(quota_usage_xlsx(source=source, rows=rows)).active
    header = [c.value for c in ws[2]]
    assert header == ["序号", "单位", "拟补贴人数", "已审核通过", "已分配", "调剂获补", "未获补助", "候补", "剩余"]
    assert ws.max_column == 9
    body = list(ws.iter_rows(min_row=3, values_only=True))
    total = body[-1]
    assert "全市调剂名额" in [r[1] for r in body[:-1]]
    assert total[2] == sum(r[2] for r in body[:-1]) == 5 + 3 + 4


def test_unit_table_has_the_pages_columns_the_pool_and_prints(jinan):
    _with_pool(jinan, slots=4)
    stats = dashboard_stats(program=jinan.program, scope=jinan.city)
    ws = _book(workbook_bytes(unit_table_workbook(stats=stats))).active
    header = [c.value for c in ws[2]]
    # The page's table, column for column (待…审核 per tier, 退回, 驳回, 候补, each source's yuan).
    page = ["拟补贴人数", "申请人数", *[f"待{t}审核" for t in stats.tier_labels], "退回", "驳回", "终审通过"]
    assert header[2 : 2 + len(page)] == page
    assert {"已分配", "候补", "已发放", *[f"{s.name}（元）" for s in stats.sources]} <= set(header)
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    pool, total = rows[-2], rows[-1]
    assert pool[1] == "全市调剂名额" and pool[2] == 4
    assert total[0] == "合计" and total[2] == 5 + 3 + 4
    col = header.index("申请人数")
    assert total[col] == sum(expected_for(i)["applications"] for i in PLAN)
    assert ws.column_dimensions["B"].width >= 20
    assert_print_ready(ws, header_has=f"{jinan.program.name}　全部批次　{jinan.city.name}")
    by_batch = dashboard_stats(program=jinan.program, scope=jinan.city, batch=jinan.batch)
    ws = _book(workbook_bytes(unit_table_workbook(stats=by_batch))).active
    assert "第一批" in ws.oddHeader.center.text or str(jinan.batch.name) in ws.oddHeader.center.text


def test_summary_and_follow_up_workbooks_print_every_sheet(jinan):
    for wb in (
        program_summary_workbook(program=jinan.program, scope=jinan.city),
        follow_up_workbook(program=jinan.program, scope=jinan.city),
    ):
        book = _book(workbook_bytes(wb))
        for ws in book.worksheets:
            assert_print_ready(ws, header_has=jinan.program.name)


def test_a_programme_named_with_an_ampersand_prints_it_rather_than_a_code(jinan):
    jinan.program.name = "A&B求学圆梦"
    jinan.program.save(update_fields=["name"])
    ws = _book(quota_table_export_xlsx(source=jinan.sources["city"])).active
    assert ws.oddHeader.center.text.startswith("A&&B求学圆梦")  # && is Excel's literal &
