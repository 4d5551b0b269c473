"""Styled openpyxl sheets for the small tables union staff print and file: the quota table,
its usage, the reports. One look for all of them (a merged bold title, a bold centred header
with borders, thin borders on every cell, a bold 合计 row, the header frozen, A4 landscape
across one page's width with the title and header repeated on every page, the programme and
batch in the page header and 第 N 页 / 共 M 页 in the footer), and every value written
through ``safe_value``: text that would read as a formula stays text."""

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import looks_like_formula

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def safe_value(cell: Cell, value) -> Cell:
    """Set ``value``; text a spreadsheet would run as a formula is stored as text."""
    cell.value = value
    if looks_like_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def sheet_title(ws: Worksheet, text: str, width: int, *, height: float = 32) -> None:
    """Row 1: the title, merged across the table and centred."""
    safe_value(ws.cell(row=1, column=1), text)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = TITLE_FONT
    ws["A1"].alignment = CENTRE
    ws.row_dimensions[1].height = height


def sheet_row(ws: Worksheet, values: Sequence, *, bold: bool = False, border: bool = True) -> int:
    """Append one row (every value through ``safe_value``); returns its row number."""
    row = ws.max_row + 1 if ws.max_row > 1 or ws["A1"].value is not None else 1
    for column, value in enumerate(values, start=1):
        cell = safe_value(ws.cell(row=row, column=column), value)
        if bold:
            cell.font = BOLD
        if border:
            cell.border = BORDER
    return row


def sheet_table(
    ws: Worksheet,
    *,
    header: Sequence[str],
    rows: Sequence[Sequence],
    total: Sequence | None = None,
    widths: Sequence[float] | None = None,
    freeze: str = "A3",
    page_header: str,
) -> None:
    """Header (bold, centred), the rows, a bold 合计 row; borders on all; frozen under the
    header; set up to print (``sheet_print_setup``). ``page_header`` names the programme and
    batch: a printed page that falls out of the folder still says what it belongs to."""
    header_row = sheet_row(ws, header, bold=True)
    for cell in ws[header_row]:
        cell.alignment = CENTRE
    for values in rows:
        sheet_row(ws, values)
    if total is not None:
        sheet_row(ws, total, bold=True)
    for i, width in enumerate(widths or [8, 30, *[14] * (len(header) - 2)], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = freeze
    sheet_print_setup(ws, header_row=header_row, page_header=page_header)


# Excel's header/footer codes: &P the page number, &N the number of pages.
PAGE_FOOTER = "第 &P 页，共 &N 页"


def sheet_print_setup(ws: Worksheet, *, header_row: int, page_header: str) -> None:
    """A4 landscape, one page wide (as long as it needs), title and header repeated on every
    page, the programme and batch at the top of each page, the page number at the bottom."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"1:{header_row}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddHeader.center.text = page_header.replace("&", "&&")  # a lone & starts an Excel code
    ws.oddHeader.center.size = 10
    ws.oddFooter.center.text = PAGE_FOOTER
    ws.oddFooter.center.size = 9


def workbook_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
