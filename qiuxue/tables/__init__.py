"""The one home of every table the project reads or writes (XLSX and CSV).

- ``stream``: the fast streaming XLSX writer for big plain sheets (payout lists,
  reconciliation): each row formatted straight into the sheet XML.
- ``sheets``: styled openpyxl sheets for the small tables staff print (quota table, usage,
  reports): the shared title/header/border styles, the print set-up, and every value written
  through ``safe_value``.
- ``reading``: rows from an uploaded XLSX or CSV; CSV bytes sniffed for UTF-8 (with or
  without BOM) or GB18030, which Chinese Excel saves.

The safety rule is one rule everywhere: text a spreadsheet would take for a formula (it
starts with = + - @ tab or CR) is always stored as text, with Excel's quote prefix.
"""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)
