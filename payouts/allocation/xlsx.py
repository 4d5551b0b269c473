"""Quota usage as XLSX, in the shape of the published quota table (title, 序号/单位/拟补贴人数)
with the usage columns added to the right, so it can be laid next to the original."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from quotas.models import FundingSource

from .selectors import UnitUsage

HEADERS = ("序号", "单位", "拟补贴人数", "已审核通过", "已分配", "未获补助", "剩余")


def usage_title(source: FundingSource) -> str:
    return f"{source.program.name}名额使用情况（{source.name}）"


def quota_usage_xlsx(*, source: FundingSource, rows: list[UnitUsage]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名额使用情况"
    sheet.append([usage_title(source)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.append(list(HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    body, total = rows[:-1], rows[-1]
    for number, row in enumerate(body, start=1):
        sheet.append([number, row.label, row.slots, row.approved, row.awarded, row.unfunded, row.remaining])
    sheet.append(["", total.label, total.slots, total.approved, total.awarded, total.unfunded, total.remaining])
    sheet.column_dimensions["B"].width = 40
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
