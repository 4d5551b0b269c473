"""Read a school/major catalogue (Xian'an publishes one) from CSV: 院校,层次,类别,专业."""

import csv
import io

from qiuxue.tables.reading import TableReadError, csv_text

from .models import EducationLevel

LEVEL_NAMES = {str(label): value for value, label in EducationLevel.choices}


def catalogue_read_csv(*, data: bytes) -> list[dict]:
    try:
        text = csv_text(data)  # UTF-8 (BOM or not) or GB18030, as Chinese Excel saves it
    except TableReadError as exc:
        raise ValueError(str(exc)) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = {"院校", "层次", "专业"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"目录缺少列：{'、'.join(sorted(missing))}")
    entries = []
    for line, row in enumerate(reader, start=2):
        level_name = (row.get("层次") or "").strip()
        if level_name not in LEVEL_NAMES:
            raise ValueError(f"第{line}行：未知学历层次「{level_name}」（可用：{'、'.join(LEVEL_NAMES)}）")
        entries.append(
            {
                "school": row["院校"].strip(),
                "level": LEVEL_NAMES[level_name],
                "category": (row.get("类别") or "").strip(),
                "major": row["专业"].strip(),
            }
        )
    return entries
