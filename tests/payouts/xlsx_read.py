"""Read an exported payout list back the way a bank clerk's Excel would see it."""

import io
import zipfile

from openpyxl import load_workbook


def read_sheet(content: bytes):
    workbook = load_workbook(io.BytesIO(content))
    return workbook.active


def data_rows(ws) -> list[tuple]:
    """Rows between the header (row 2) and the totals row."""
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows[-1][0] == "合计"
    return rows[:-1]


def sheet_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return zf.read("xl/worksheets/sheet1.xml").decode()
