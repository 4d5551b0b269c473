"""Quota usage as XLSX, in the shape of the published quota table (title, 序号/单位/拟补贴人数)
with the same usage columns as the page to the right, so it can be laid next to the
original; styled, frozen and set up to print like every table (``qiuxue.tables.sheets``)."""

from openpyxl import Workbook

from qiuxue.tables.sheets import sheet_table, sheet_title, workbook_bytes
from quotas.models import FundingSource

from .selectors import UnitUsage

HEADERS = ("序号", "单位", "拟补贴人数", "已审核通过", "已分配", "调剂获补", "未获补助", "候补", "剩余")


def usage_title(source: FundingSource) -> str:
    return f"{source.program.name}名额使用情况（{source.name}）"


def _values(row: UnitUsage) -> list:
    return [row.slots, row.approved, row.awarded, row.awarded_elsewhere, row.unfunded, row.waitlisted, row.remaining]


def quota_usage_xlsx(*, source: FundingSource, rows: list[UnitUsage]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名额使用情况"
    sheet_title(sheet, usage_title(source), len(HEADERS))
    body, total = rows[:-1], rows[-1]
    sheet_table(
        sheet,
        header=HEADERS,
        rows=[[number, row.label, *_values(row)] for number, row in enumerate(body, start=1)],
        total=["", total.label, *_values(total)],
        widths=[7, 36, *[11] * (len(HEADERS) - 2)],
        page_header=f"{source.program.name}　{source.name}",
    )
    return workbook_bytes(workbook)
