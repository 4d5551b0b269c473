"""Write a source's quota table back out in the shape the cities publish it."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from ..models import FundingSource, Quota
from .matching import POOL_LABEL

HEADERS = ("序号", "单位", "拟补贴人数")
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def quota_table_title(source: FundingSource) -> str:
    return f"{source.program.name}名额分配表（{source.name}）"


def quota_table_export_xlsx(*, source: FundingSource) -> bytes:
    """Title merged over the columns, header 序号/单位/拟补贴人数, rows, a 合计 SUM row.

    Reading this file back through ``quota_table_read`` gives the same rows.
    """
    quotas = list(Quota.objects.filter(source=source).select_related("union").order_by("is_pool", "position", "id"))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名额分配表"
    sheet.append([quota_table_title(source)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[1].height = 36
    sheet.append(list(HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for number, quota in enumerate(quotas, start=1):
        label = quota.label or (POOL_LABEL if quota.is_pool else quota.union.name)
        sheet.append([number, label, quota.slots])
    first, last = 3, 2 + len(quotas)
    total_row = last + 1
    sheet.cell(row=total_row, column=2, value="合计").font = Font(bold=True)
    total = sheet.cell(row=total_row, column=3, value=f"=SUM(C{first}:C{last})" if quotas else 0)
    total.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2, max_row=total_row, max_col=len(HEADERS)):
        for cell in row:
            cell.border = BORDER
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 44
    sheet.column_dimensions["C"].width = 16
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
