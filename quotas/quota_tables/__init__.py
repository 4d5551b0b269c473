"""Quota tables (名额分配表): read XLSX/CSV as published, match to the union tree, preview,
import in one transaction, export back to XLSX.

    table = quota_table_read(data=..., filename="jinan.xlsx")
    preview = quota_table_preview(source=source, table=table)
    if preview.ok:
        quota_table_import(source=source, rows=preview.rows, actor=user)
"""

from .export import quota_table_export_xlsx
from .matching import (
    POOL_LABEL,
    PreviewRow,
    QuotaTablePreview,
    guess_union_level,
    normalise_name,
    quota_table_preview,
)
from .reading import Problem, QuotaTableReadError, RawTable, quota_table_read
from .services import QuotaTableError, QuotaTableImportResult, quota_table_import

__all__ = [
    "POOL_LABEL",
    "PreviewRow",
    "Problem",
    "QuotaTableError",
    "QuotaTableImportResult",
    "QuotaTablePreview",
    "QuotaTableReadError",
    "RawTable",
    "guess_union_level",
    "normalise_name",
    "quota_table_export_xlsx",
    "quota_table_import",
    "quota_table_preview",
    "quota_table_read",
]
