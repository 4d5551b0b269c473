"""Quota tables: read → preview → import of the real Jinan table and of a large synthetic
one, export back to XLSX, and the apportionment arithmetic on many units.

Figures are wall times in seconds. The synthetic city (``bench-quota-*`` codes) is built
once in the bench database with ``--create-missing`` and reused on later runs.
"""

import io
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent


def _city(code: str, name: str):
    from quotas.models import Program, Union, UnionLevel
    from quotas.services import union_create

    city = Union.objects.filter(code=code).first() or union_create(name=name, code=code, level=UnionLevel.CITY)
    program, _ = Program.objects.get_or_create(slug=code, defaults={"owner_union": city, "year": 2024, "name": name})
    return program


def _source(program, total: int):
    from quotas.models import FundingSource

    source, _ = FundingSource.objects.update_or_create(
        program=program,
        name="市总工会补助",
        defaults={
            "payer_union": program.owner_union,
            "amount_yuan": 1000,
            "total_slots": total,
            "uses_unit_quotas": True,
        },
    )
    return source


def _import(source, data: bytes, filename: str) -> tuple[float, int]:
    from quotas.quota_tables import quota_table_import, quota_table_preview, quota_table_read

    started = time.perf_counter()
    table = quota_table_read(data=data, filename=filename)
    preview = quota_table_preview(source=source, table=table, create_missing=True)
    assert preview.ok, preview.problems[:3]
    quota_table_import(source=source, rows=preview.rows, actor=None, create_missing=True)
    return time.perf_counter() - started, len(preview.rows)


def _synthetic_xlsx(units: int) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["基准测试名额分配表"])
    sheet.append(["序号", "单位", "拟补贴人数"])
    for i in range(1, units + 1):
        sheet.append([i, f"基准测试第{i:05d}基层工会", 3])
    sheet.append([None, "合计", f"=SUM(C3:C{units + 2})"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(scale: float) -> dict:
    from quotas.apportion import apportion_largest_remainder
    from quotas.quota_tables import quota_table_export_xlsx

    figures: dict[str, object] = {}
    jinan_xlsx = (ROOT / "quotas" / "demo_data" / "jinan-2024-quota-table.xlsx").read_bytes()
    program = _city("bench-quota-jinan", "济南市总工会（基准）")
    source = _source(program, 3500)
    seconds, rows = _import(source, jinan_xlsx, "jinan.xlsx")
    figures["jinan_import_first_s"] = round(seconds, 3)
    seconds, rows = _import(source, jinan_xlsx, "jinan.xlsx")
    figures["jinan_reimport_s"] = round(seconds, 3)
    figures["jinan_rows"] = rows

    units = max(50, int(5000 * scale))
    program = _city(f"bench-quota-big-{units}", f"基准测试市总工会{units}")
    source = _source(program, 3 * units)
    data = _synthetic_xlsx(units)
    seconds, rows = _import(source, data, "big.xlsx")
    figures[f"synthetic_{units}_units_import_s"] = round(seconds, 3)
    seconds, rows = _import(source, data, "big.xlsx")
    figures[f"synthetic_{units}_units_reimport_s"] = round(seconds, 3)
    started = time.perf_counter()
    exported = quota_table_export_xlsx(source=source)
    figures[f"synthetic_{units}_units_export_s"] = round(time.perf_counter() - started, 3)
    figures["export_bytes"] = len(exported)

    keys = max(1000, int(200_000 * scale))
    weights = {i: (i * 7919) % 100_000 + 1 for i in range(keys)}
    started = time.perf_counter()
    shares = apportion_largest_remainder(total=keys * 3, weights=weights, pool=keys // 10)
    figures[f"apportion_{keys}_keys_s"] = round(time.perf_counter() - started, 3)
    assert sum(shares.values()) == keys * 3 - keys // 10
    return figures
