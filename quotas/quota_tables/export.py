"""Write a source's quota table back out in the shape the cities publish it."""

from openpyxl import Workbook

from qiuxue.tables.sheets import sheet_row, sheet_table, sheet_title, workbook_bytes

from ..models import FundingSource, Quota
from .matching import POOL_LABEL

HEADERS = ("序号", "单位", "拟补贴人数")


def quota_table_title(source: FundingSource) -> str:
    return f"{source.program.name}名额分配表（{source.name}）"


def quota_table_export_xlsx(*, source: FundingSource) -> bytes:
    """Title merged over the columns, header 序号/单位/拟补贴人数, rows, a 合计 SUM row.

    Reading this file back through ``quota_table_read`` gives the same rows. The unit names
    are user text: written as text even when they look like a formula (``qiuxue.tables``).
    """
    quotas = list(Quota.objects.filter(source=source).select_related("union").order_by("is_pool", "position", "id"))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名额分配表"
    sheet_title(sheet, quota_table_title(source), len(HEADERS), height=36)
    rows = [
        [number, quota.label or (POOL_LABEL if quota.is_pool else quota.union.name), quota.slots]
        for number, quota in enumerate(quotas, start=1)
    ]
    sheet_table(
        sheet, header=HEADERS, rows=rows, widths=[8, 44, 16], page_header=f"{source.program.name}　{source.name}"
    )
    # The 合计 is our own formula, as the published table has it (never user text).
    total_row = sheet_row(sheet, ["", "合计", 0], bold=True)
    if quotas:
        sheet.cell(row=total_row, column=3).value = f"=SUM(C3:C{total_row - 1})"
    return workbook_bytes(workbook)
