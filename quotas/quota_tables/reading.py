"""Read a quota table (名额分配表) as the cities publish it: XLSX or CSV.

The real files have a merged title row, a header row (序号 / 单位 or 县区、系统 /
拟补贴人数 or 省、市总工会拟补助人数), the unit rows, then a 合计/总计 row whose number is a
formula, and sometimes a footnote. We find the header by its column names, read until
the total row, and never import the total itself.
"""

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from qiuxue.tables.reading import TableReadError, csv_rows, xlsx_rows

# Only the first rows are searched for the header: a title and a blank line at most.
HEADER_SEARCH_ROWS = 10

TOTAL_LABELS = ("合计", "总计", "小计")


@dataclass(frozen=True)
class Problem:
    line: int | None  # row number in the spreadsheet (1-based); None for the whole table
    message: str

    def __str__(self) -> str:
        return f"第{self.line}行：{self.message}" if self.line else self.message


@dataclass(frozen=True)
class RawRow:
    line: int
    position: int | None
    label: str
    slots: int | None  # None when the cell was not a valid number (a Problem says why)


@dataclass
class RawTable:
    title: str = ""
    header_line: int | None = None
    stated_total: int | None = None  # a numeric 合计 cell, if the file had one
    rows: list[RawRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class QuotaTableReadError(ValueError):
    """The file cannot be read at all (not XLSX/CSV, empty, encrypted…)."""


def clean_text(value: object) -> str:
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _is_unit_header(text: str) -> bool:
    return len(text) <= 20 and ("单位" in text or "县区" in text or "系统" in text)


def _is_count_header(text: str) -> bool:
    # Short cells only: the title row itself says "…名额分配表".
    return len(text) <= 20 and ("人数" in text or text.endswith("名额"))


def _locate_columns(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, text in enumerate(cells):
        if not text:
            continue
        if "序号" in text and "position" not in found:
            found["position"] = index
        elif _is_count_header(text) and "slots" not in found:
            found["slots"] = index
        elif _is_unit_header(text) and "label" not in found:
            found["label"] = index
    return found


def _parse_int(value: object) -> tuple[int | None, str | None]:
    """An integer from a cell, or the reason it is not one."""
    if isinstance(value, bool):
        return None, "不是整数"
    if isinstance(value, int):
        return value, None
    if isinstance(value, float):
        return (int(value), None) if value.is_integer() else (None, "不是整数")
    text = clean_text(value).replace(",", "").replace(" ", "")
    if text == "":
        return None, "为空"
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.isdigit():
        return sign * int(digits), None
    return None, "不是整数"


def _rows_from_xlsx(data: bytes) -> list[tuple[int, list[object]]]:
    try:
        rows = xlsx_rows(data, data_only=False)  # formulas kept: the 合计 row is found by its SUM
    except TableReadError as exc:
        raise QuotaTableReadError(str(exc)) from exc
    return list(enumerate(rows, start=1))


def _rows_from_csv(data: bytes) -> list[tuple[int, list[object]]]:
    try:
        return list(enumerate(csv_rows(data), start=1))
    except TableReadError as exc:
        raise QuotaTableReadError(str(exc)) from exc


def raw_rows_from_file(*, data: bytes, filename: str) -> list[tuple[int, list[object]]]:
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _rows_from_csv(data)
    if suffix in (".xlsx", ".xlsm"):
        return _rows_from_xlsx(data)
    raise QuotaTableReadError("只支持 .xlsx 或 .csv 格式的名额分配表")


def quota_table_read(*, data: bytes, filename: str) -> RawTable:
    """Parse the file into rows and problems. Nothing is matched or written here."""
    lines = raw_rows_from_file(data=data, filename=filename)
    table = RawTable()
    columns: dict[str, int] = {}
    best: dict[str, int] = {}
    for number, values in lines[:HEADER_SEARCH_ROWS]:
        cells = [clean_text(v) for v in values]
        found = _locate_columns(cells)
        if "label" in found and "slots" in found:
            table.header_line, columns = number, found
            break
        if len(found) > len(best):
            best = found
        if not table.title and any(cells):
            table.title = next(c for c in cells if c)
    if table.header_line is None:
        missing = [name for key, name in (("label", "单位"), ("slots", "拟补贴人数")) if key not in best]
        table.problems.append(
            Problem(None, f"未找到表头：缺少「{'」「'.join(missing)}」列（表头应包含 序号、单位、拟补贴人数）")
        )
        return table

    for number, values in lines:
        if number <= table.header_line:
            continue

        def cell(key: str, values=values) -> object:
            index = columns.get(key)
            return values[index] if index is not None and index < len(values) else None

        # Keep the label as written (full-width punctuation and all); compare normalised.
        label = str(cell("label") or "").strip()
        raw_slots = cell("slots")
        raw_position = cell("position")
        if not label and clean_text(raw_slots) == "" and clean_text(raw_position) == "":
            continue  # blank line
        plain = clean_text(label).replace(" ", "")
        if plain.startswith(TOTAL_LABELS):
            # The total row is a check, not a unit: compare a typed number, skip a formula.
            stated, _reason = _parse_int(raw_slots)
            if stated is not None:
                table.stated_total = stated
            break
        if plain.startswith("注"):
            break  # footnote under a table without a total row
        if isinstance(raw_slots, str) and raw_slots.startswith("="):
            table.problems.append(Problem(number, f"「{label}」的人数是公式，请填写数字"))
            table.rows.append(RawRow(number, None, label, None))
            continue
        if not label:
            table.problems.append(Problem(number, "单位名称为空"))
            continue
        slots, reason = _parse_int(raw_slots)
        if reason:
            shown = clean_text(raw_slots)
            table.problems.append(Problem(number, f"「{label}」的人数{reason}" + (f"（「{shown}」）" if shown else "")))
        elif slots < 0:
            table.problems.append(Problem(number, f"「{label}」的人数不能为负数（{slots}）"))
        position, _ = _parse_int(raw_position)
        table.rows.append(RawRow(number, position, label, slots if reason is None else None))
    if not table.rows and not table.problems:
        table.problems.append(Problem(None, "表中没有任何单位行"))
    return table
