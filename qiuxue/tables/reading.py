"""Rows from an uploaded table: XLSX through openpyxl, CSV through ``csv_text`` (UTF-8 with
or without BOM, else GB18030: what Chinese Excel's "CSV" saves). Every importer (quota
tables, bank returns, follow-up lists, the catalogue) reads through here."""

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import load_workbook


class TableReadError(ValueError):
    """The file cannot be read as a table; the message is for the page, in Chinese."""


def csv_text(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="strict")
    for encoding in ("utf-8", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableReadError(_("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK（GB18030）。"))


def csv_rows(content: bytes) -> list[list[str]]:
    return [list(row) for row in csv.reader(io.StringIO(csv_text(content)))]


def xlsx_rows(content: bytes, *, data_only: bool = True) -> list[list]:
    """The first sheet's values. ``data_only=False`` keeps formulas as their text (the quota
    table reader recognises its 合计 row by its SUM)."""
    if not content.startswith(b"PK"):
        raise TableReadError(_("文件不是 XLSX 格式，请上传 .xlsx 或 .csv 文件。"))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
    except Exception:  # openpyxl raises many types for a broken or foreign file
        raise TableReadError(_("无法读取该 Excel 文件，请确认文件未损坏，并另存为 .xlsx 后上传。")) from None
    try:
        return [list(values) for values in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def table_rows(*, name: str, content: bytes, data_only: bool = True) -> list[list]:
    """By the file's extension: ``.csv`` or ``.xlsx``."""
    lowered = (name or "").lower()
    if lowered.endswith(".csv"):
        return csv_rows(content)
    if lowered.endswith(".xlsx"):
        return xlsx_rows(content, data_only=data_only)
    raise TableReadError(_("只支持 .xlsx 或 .csv 文件。"))
