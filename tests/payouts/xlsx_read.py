"""Read an exported payout list back the way a bank clerk's Excel would see it."""

import io
import zipfile

from openpyxl import load_workbook


def read_sheet(content: bytes):
    workbook = load_workbook(io.BytesIO(content))
    return workbook.active


def data_rows(ws) -> list[tuple]:
    """Rows between the header (row 2) and the totals row (the sign-off line follows it)."""
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    totals_at = max(i for i, r in enumerate(rows) if r[0] == "合计")
    return rows[:totals_at]


def totals_row(ws) -> tuple:
    """The 合计 row (the sign-off line follows it on a payout list)."""
    return next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == "合计")


def sign_off_row(ws) -> list:
    """The last row's non-empty cells: 制表人、审核人、负责人、日期 on a payout list."""
    return [v for v in next(ws.iter_rows(min_row=ws.max_row, max_row=ws.max_row, values_only=True)) if v]


def sheet_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return zf.read("xl/worksheets/sheet1.xml").decode()
