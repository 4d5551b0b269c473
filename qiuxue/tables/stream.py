"""A streaming XLSX writer for big, plain sheets (payout lists, reconciliation reports).

Why not openpyxl: on this machine its write-only mode needs ~79 s for 200,000 lines. Here
each row is formatted straight into the sheet XML and streamed into the zip, so memory
stays flat and the time is spent mostly on decrypting the numbers. Strings are inline
(no shared-string table to hold in memory); the styles are a fixed, minimal table.

Safety of user text: every string is written as an inline *string* cell, so a worker
called ``=HYPERLINK(...)`` or a unit ``+cmd`` is never a formula. Strings that a
spreadsheet would read as a formula when re-typed or re-saved (leading = + - @ tab CR)
also get Excel's own "quote prefix" style, the same thing Excel stores when a user types
an apostrophe before text. Characters XML 1.0 forbids are dropped.
"""

import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO
from xml.sax.saxutils import escape

from . import looks_like_formula

# Style ids into the cellXfs table of STYLES_XML below.
STYLE_TITLE = 1
STYLE_HEADER = 2
STYLE_TEXT = 3
STYLE_NUMBER = 4
STYLE_TEXT_QUOTED = 5
STYLE_TOTAL_LABEL = 6
STYLE_TOTAL_NUMBER = 7

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ROWS_PER_CHUNK = 2000
_MEMO_LIMIT = 10_000  # distinct values remembered per repeating column


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    numeric: bool = False
    # Values repeat down the column (bank, unit, programme): format each distinct one once.
    repeats: bool = False


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _text_xml(value: str) -> str:
    if _ILLEGAL_XML.search(value):
        value = _ILLEGAL_XML.sub("", value)
    value = escape(value)
    if value[:1].isspace() or value[-1:].isspace():
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


def _cell_body(value, *, numeric: bool, text_style: int = STYLE_TEXT, number_style: int = STYLE_NUMBER) -> str:
    """Everything of a ``<c>`` element after its ``r`` attribute."""
    if value is None or value == "":
        return f' s="{text_style}"/>'
    if numeric and isinstance(value, int) and not isinstance(value, bool):
        return f' s="{number_style}"><v>{value}</v></c>'
    text = str(value)
    style = STYLE_TEXT_QUOTED if looks_like_formula(text) else text_style
    return f' s="{style}" t="inlineStr">{_text_xml(text)}</c>'


def _cell(ref: str, value, *, numeric: bool, text_style: int = STYLE_TEXT, number_style: int = STYLE_NUMBER) -> str:
    return f'<c r="{ref}"' + _cell_body(value, numeric=numeric, text_style=text_style, number_style=number_style)


def xlsx_write(
    fileobj: BinaryIO,
    *,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    totals: Sequence | None = None,
    sheet_name: str = "Sheet1",
    progress: Callable[[int], None] | None = None,
    compresslevel: int = 1,
    row_count: int | None = None,
    page_header: str = "",
    signature: Sequence[str] = (),
) -> int:
    """Write one sheet: a merged title row, a frozen header row, the rows, a totals row,
    then (``signature``) a blank row and the form's sign-off line (制表人、审核人…), in the
    columns after 序号 so a reader that keys on 序号 never takes it for a data row.

    Printed A4 landscape, one page wide, title and header repeated on every page,
    ``page_header`` (programme, batch) at the top of each page, page numbers at the bottom.

    ``rows`` is consumed lazily. ``progress(n)`` is called every few thousand rows with
    the number written so far. Returns the number of data rows written. ``row_count``, when
    the caller knows it, goes into the sheet's ``<dimension>`` (readers that size a sheet
    from it, openpyxl's read-only mode among them, then see every row) and is checked: a
    different number of rows raises ``ValueError`` and the file must be thrown away.
    """
    letters = [column_letter(i) for i in range(len(columns))]
    numeric = [c.numeric for c in columns]
    last = letters[-1]
    count = 0
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES_XML)
        zf.writestr("_rels/.rels", ROOT_RELS_XML)
        zf.writestr("xl/workbook.xml", WORKBOOK_XML.format(sheet_name=escape(sheet_name[:31]), last=last))
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS_XML)
        zf.writestr("xl/styles.xml", STYLES_XML)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            cols_xml = "".join(
                f'<col min="{i + 1}" max="{i + 1}" width="{c.width}" customWidth="1"/>' for i, c in enumerate(columns)
            )
            dimension = ""
            if row_count is not None:
                tail = (1 if totals is not None else 0) + (2 if signature else 0)
                dimension = f'<dimension ref="A1:{last}{2 + row_count + tail}"/>'
            head = [
                SHEET_HEAD,
                # Printed on A4 across one page's width, as the lists union staff sign.
                '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
                dimension,
                '<sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" state="frozen"/>'
                "</sheetView></sheetViews>",
                '<sheetFormatPr defaultRowHeight="18"/>',
                f"<cols>{cols_xml}</cols><sheetData>",
                f'<row r="1" ht="30" customHeight="1"><c r="A1" s="{STYLE_TITLE}" t="inlineStr">{_text_xml(title)}</c>',
                "".join(f'<c r="{letters[i]}1" s="{STYLE_TITLE}"/>' for i in range(1, len(columns))),
                '</row><row r="2" ht="24" customHeight="1">',
                "".join(
                    f'<c r="{letters[i]}2" s="{STYLE_HEADER}" t="inlineStr">{_text_xml(c.header)}</c>'
                    for i, c in enumerate(columns)
                ),
                "</row>",
            ]
            sheet.write("".join(head).encode())
            chunk: list[str] = []
            row_number = 2
            memos: list[dict | None] = [{} if c.repeats else None for c in columns]
            opens = [f'<c r="{letter}' for letter in letters]
            for row in rows:
                row_number += 1
                r = str(row_number)
                parts = [f'<row r="{r}">']
                for i, value in enumerate(row):
                    memo = memos[i]
                    if memo is None:
                        body = _cell_body(value, numeric=numeric[i])
                    else:
                        body = memo.get(value)
                        if body is None:
                            body = _cell_body(value, numeric=numeric[i])
                            if len(memo) < _MEMO_LIMIT:
                                memo[value] = body
                    parts.append(f'{opens[i]}{r}"{body}')
                parts.append("</row>")
                chunk.append("".join(parts))
                count += 1
                if len(chunk) >= _ROWS_PER_CHUNK:
                    sheet.write("".join(chunk).encode())
                    chunk.clear()
                    if progress is not None:
                        progress(count)
            if totals is not None:
                row_number += 1
                r = str(row_number)
                chunk.append(f'<row r="{r}">')
                for i, value in enumerate(totals):
                    chunk.append(
                        _cell(
                            letters[i] + r,
                            value,
                            numeric=numeric[i],
                            text_style=STYLE_TOTAL_LABEL,
                            number_style=STYLE_TOTAL_NUMBER,
                        )
                    )
                chunk.append("</row>")
            if signature:
                row_number += 2  # one empty row between the table and the signatures
                chunk.append(_signature_row(row_number, signature, letters))
            chunk.append(f'</sheetData><mergeCells count="1"><mergeCell ref="A1:{last}1"/></mergeCells>')
            chunk.append('<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>')
            chunk.append('<pageSetup orientation="landscape" paperSize="9" fitToWidth="1" fitToHeight="0"/>')
            chunk.append(_header_footer_xml(page_header))
            chunk.append("</worksheet>")
            sheet.write("".join(chunk).encode())
    if row_count is not None and count != row_count:
        raise ValueError(f"xlsx_write: {count} rows written, {row_count} announced")
    if progress is not None:
        progress(count)
    return count


# Excel's header/footer codes: &P the page number, &N the number of pages; &C centres.
PAGE_FOOTER = "第 &P 页，共 &N 页"


def _header_footer_xml(page_header: str) -> str:
    header = escape("&C" + page_header.replace("&", "&&")) if page_header else ""
    return (
        f"<headerFooter>{f'<oddHeader>{header}</oddHeader>' if header else ''}"
        f"<oddFooter>{escape('&C' + PAGE_FOOTER)}</oddFooter></headerFooter>"
    )


def _signature_row(row_number: int, signature: Sequence[str], letters: Sequence[str]) -> str:
    """The sign-off line, spread over the columns after the first (序号 stays empty)."""
    n = len(letters)
    if n - 1 < len(signature):  # too few columns to spread: one cell after 序号
        signature, at = ["　　　　".join(signature)], [min(1, n - 1)]
        return _signature_cells(row_number, signature, at, letters)
    at = [min(n - 1, 1 + i * max(n - 2, 1) // max(len(signature), 1)) for i in range(len(signature))]
    return _signature_cells(row_number, signature, at, letters)


def _signature_cells(row_number: int, signature: Sequence[str], at: Sequence[int], letters: Sequence[str]) -> str:
    cells = "".join(
        f'<c r="{letters[col]}{row_number}" t="inlineStr">{_text_xml(text)}</c>'
        for col, text in zip(at, signature, strict=True)
    )
    return f'<row r="{row_number}" ht="30" customHeight="1">{cells}</row>'


SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
)

CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)

ROOT_RELS_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)

# The print titles repeat the title and header rows on every printed page.
WORKBOOK_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets>'
    '<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="0">'
    "'{sheet_name}'!$1:$2</definedName></definedNames>"
    "</workbook>"
)

WORKBOOK_RELS_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)

_BORDER = (
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
    '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>'
)
_CENTER = '<alignment horizontal="center" vertical="center" wrapText="1"/>'
_MIDDLE = '<alignment vertical="center"/>'

# numFmt 49 is "@" (text): Excel keeps ID and card numbers as typed when someone edits them.
# numFmt 3 is "#,##0" for yuan.
STYLES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="3">'
    '<font><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    '<font><b/><sz val="16"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    '<font><b/><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    "</fonts>"
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFD9D9D9"/><bgColor indexed="64"/></patternFill></fill>'
    "</fills>"
    f'<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>{_BORDER}</borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="8">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    f'<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">{_CENTER}</xf>'
    '<xf numFmtId="0" fontId="2" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" '
    f'applyAlignment="1">{_CENTER}</xf>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1" '
    f'applyAlignment="1">{_MIDDLE}</xf>'
    '<xf numFmtId="3" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1" '
    f'applyAlignment="1">{_MIDDLE}</xf>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1" '
    f'applyAlignment="1" quotePrefix="1">{_MIDDLE}</xf>'
    '<xf numFmtId="49" fontId="2" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyFont="1" '
    f'applyBorder="1" applyAlignment="1">{_CENTER}</xf>'
    '<xf numFmtId="3" fontId="2" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyFont="1" '
    f'applyBorder="1" applyAlignment="1">{_MIDDLE}</xf>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
