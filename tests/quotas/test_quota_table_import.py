"""Importing the real published quota tables, and refusing bad ones without writing."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from quotas.models import AuditLog, Quota, Union, UnionLevel
from quotas.quota_tables import (
    PreviewRow,
    QuotaTableError,
    quota_table_import,
    quota_table_preview,
    quota_table_read,
)
from quotas.services import union_create

from .conftest import JINAN_CSV, JINAN_XLSX, LINYI_CSV, LINYI_XLSX, make_program
from .helpers import xlsx_bytes

LINYI_COUNTIES = [
    "兰山区总工会",
    "罗庄区总工会",
    "河东区总工会",
    "沂南县总工会",
    "郯城县总工会",
    "沂水县总工会",
    "兰陵县总工会",
    "费县总工会",
    "平邑县总工会",
    "莒南县总工会",
    "蒙阴县总工会",
    "临沭县总工会",
    "高新区总工会",
    "经开区总工会",
    "临港区总工会",
]


def preview_of(source, path, create_missing=False):
    table = quota_table_read(data=path.read_bytes(), filename=path.name)
    return quota_table_preview(source=source, table=table, create_missing=create_missing)


@pytest.mark.django_db
def test_jinan_xlsx_as_published_gives_56_units_and_a_500_pool(jinan, jinan_source):
    preview = preview_of(jinan_source, JINAN_XLSX, create_missing=True)
    assert preview.ok, preview.problems
    assert preview.title.startswith("2024年济南市总工会")
    assert all(row.label not in ("合计", "总计") for row in preview.rows)

    result = quota_table_import(source=jinan_source, rows=preview.rows, actor=None, create_missing=True)

    quotas = Quota.objects.filter(source=jinan_source)
    assert quotas.count() == 57
    assert quotas.filter(is_pool=False).count() == 56
    assert quotas.get(is_pool=True).slots == 500
    assert quotas.aggregate(s=Sum("slots"))["s"] == 3500
    assert len(result.created_unions) == 56
    levels = dict(Union.objects.filter(parent=jinan).values_list("name", "level"))
    assert levels["历下区总工会"] == UnionLevel.COUNTY
    assert levels["国际医学中心总工会"] == UnionLevel.COUNTY
    assert levels["市直机关工会工委"] == UnionLevel.ORGANS
    assert levels["济钢集团工会"] == UnionLevel.ENTERPRISE
    assert levels["济南市医务工会"] == UnionLevel.INDUSTRY
    assert quotas.get(union__name="高新区总工会").slots == 430
    log = AuditLog.objects.get(action="quota_table.import")
    assert log.detail["total"] == 3500 and log.object_id == str(jinan_source.pk)


@pytest.mark.django_db
def test_linyi_xlsx_matches_existing_units_exactly_and_after_normalising(province):
    city = union_create(name="临沂市总工会", code="371300", level=UnionLevel.CITY, parent=province)
    for i, name in enumerate(LINYI_COUNTIES):
        union_create(name=name, code=f"3713{i + 1:02d}", level=UnionLevel.COUNTY, parent=city)
    # The tree spells the combined row with half-width punctuation and spaces.
    combined = union_create(
        name="市产业 (系统) 工会, 市直机关工会工委, 大企业工会", code="371399", level=UnionLevel.INDUSTRY, parent=city
    )
    _, source = make_program(owner=city, slug="linyi-2022", total=300, year=2022)

    preview = preview_of(source, LINYI_XLSX)

    assert preview.ok, preview.problems
    assert len(preview.rows) == 16 and preview.total == 300
    assert [r.match for r in preview.rows[:15]] == ["exact"] * 15
    assert preview.rows[15].match == "normalised" and preview.rows[15].union_id == combined.pk
    quota_table_import(source=source, rows=preview.rows, actor=None)
    assert Quota.objects.filter(source=source).aggregate(s=Sum("slots"))["s"] == 300
    assert Quota.objects.get(source=source, union=combined).label == "市产业（系统）工会，市直机关工会工委，大企业工会"


@pytest.mark.django_db
@pytest.mark.parametrize(("xlsx", "csv"), [(JINAN_XLSX, JINAN_CSV), (LINYI_XLSX, LINYI_CSV)])
def test_csv_reads_the_same_rows_as_xlsx(xlsx, csv):
    from_xlsx = quota_table_read(data=xlsx.read_bytes(), filename=xlsx.name)
    from_csv = quota_table_read(data=csv.read_bytes(), filename=csv.name)
    assert not from_xlsx.problems and not from_csv.problems
    assert [(r.position, r.label, r.slots) for r in from_csv.rows] == [
        (r.position, r.label, r.slots) for r in from_xlsx.rows
    ]
    assert len(from_csv.rows) in (57, 16)


@pytest.mark.django_db
def test_csv_in_gbk_with_a_typed_total_row(small_city):
    data = "序号,单位,拟补贴人数\n1,甲区总工会,45\n2,乙县总工会,15\n,合计,60\n".encode("gb18030")
    table = quota_table_read(data=data, filename="t.csv")
    preview = quota_table_preview(source=small_city["source"], table=table)
    assert preview.ok, preview.problems
    assert table.stated_total == 60

    wrong = "序号,单位,拟补贴人数\n1,甲区总工会,45\n2,乙县总工会,15\n,合计,61\n".encode()
    preview = quota_table_preview(source=small_city["source"], table=quota_table_read(data=wrong, filename="t.csv"))
    assert any("表中合计为 61" in str(p) for p in preview.problems)


@pytest.mark.django_db
def test_reimporting_the_same_table_keeps_rows_and_writes_no_audit(jinan_source):
    rows = preview_of(jinan_source, JINAN_XLSX, create_missing=True).rows
    quota_table_import(source=jinan_source, rows=rows, actor=None, create_missing=True)
    ids = set(Quota.objects.filter(source=jinan_source).values_list("pk", flat=True))
    again = preview_of(jinan_source, JINAN_XLSX)  # units now exist: no create needed
    assert again.ok and {r.match for r in again.rows} == {"exact", "pool"}

    result = quota_table_import(source=jinan_source, rows=again.rows, actor=None)

    assert result.unchanged == 57 and result.created == result.updated == 0
    assert set(Quota.objects.filter(source=jinan_source).values_list("pk", flat=True)) == ids
    assert AuditLog.objects.filter(action="quota_table.import").count() == 1


GOOD = [(1, "甲区总工会", 45), (2, "乙县总工会", 15)]

BAD_TABLES = {
    "missing column": (
        xlsx_bytes([(1, "甲区总工会"), (2, "乙县总工会")], header=("序号", "单位")),
        "缺少「拟补贴人数」列",
    ),
    "text in a number cell": (
        xlsx_bytes([(1, "甲区总工会", "四十五"), (2, "乙县总工会", 15)]),
        "第3行：「甲区总工会」的人数不是整数",
    ),
    "duplicate unit": (
        xlsx_bytes([(1, "甲区总工会", 30), (2, "甲区总工会", 15), (3, "乙县总工会", 15)]),
        "第4行：单位「甲区总工会」重复（与第3行）",
    ),
    "negative number": (
        xlsx_bytes([(1, "甲区总工会", 65), (2, "乙县总工会", -5)]),
        "第4行：「乙县总工会」的人数不能为负数",
    ),
    "unknown unit": (
        xlsx_bytes([(1, "甲区总工会", 45), (2, "丙区总工会", 15)]),
        "第4行：单位「丙区总工会」在「测试市总工会」的下级工会中找不到",
    ),
    "sum mismatch": (
        xlsx_bytes([(1, "甲区总工会", 45), (2, "乙县总工会", 14)]),
        "名额合计 59 与补助来源「市总工会补助」的补助名额 60 不一致",
    ),
}


@pytest.fixture
def imported_small_city(small_city):
    """The small city with a good table already in place, to prove a bad one changes nothing."""
    table = quota_table_read(data=xlsx_bytes(GOOD), filename="good.xlsx")
    preview = quota_table_preview(source=small_city["source"], table=table)
    quota_table_import(source=small_city["source"], rows=preview.rows, actor=None)
    return small_city


def snapshot(source):
    return sorted(Quota.objects.filter(source=source).values_list("pk", "union_id", "slots", "label"))


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD_TABLES))
def test_bad_table_gives_a_clear_chinese_error_and_writes_nothing(imported_small_city, case, tmp_path):
    data, message = BAD_TABLES[case]
    source = imported_small_city["source"]
    before, unions, logs = snapshot(source), Union.objects.count(), AuditLog.objects.count()

    preview = quota_table_preview(source=source, table=quota_table_read(data=data, filename="bad.xlsx"))
    assert not preview.ok
    assert any(message in str(p) for p in preview.problems), [str(p) for p in preview.problems]

    path = tmp_path / "bad.xlsx"
    path.write_bytes(data)
    with pytest.raises(CommandError):
        call_command("import_quota_table", str(path), program="test-city", source="市总工会补助")
    assert snapshot(source) == before
    assert Union.objects.count() == unions and AuditLog.objects.count() == logs


@pytest.mark.django_db
def test_service_rechecks_rows_and_rolls_back(imported_small_city):
    source = imported_small_city["source"]
    before = snapshot(source)
    a, b = imported_small_city["a"], imported_small_city["b"]
    rows = [
        PreviewRow(3, 1, "甲区总工会", 50, union_id=a.pk, union_name=a.name, match="exact"),
        PreviewRow(4, 2, "乙县总工会", 15, union_id=b.pk, union_name=b.name, match="exact"),
    ]
    with pytest.raises(QuotaTableError) as err:
        quota_table_import(source=source, rows=rows, actor=None)
    assert "名额合计 65" in str(err.value)
    outsider = union_create(name="外市总工会", code="388800", level=UnionLevel.CITY)
    rows[0] = PreviewRow(3, 1, "外市总工会", 45, union_id=outsider.pk, match="exact")
    with pytest.raises(QuotaTableError, match="不属于「测试市总工会」"):
        quota_table_import(source=source, rows=[rows[0], rows[1]], actor=None)
    assert snapshot(source) == before


@pytest.mark.django_db
def test_unknown_units_are_created_on_request_with_a_guessed_level(imported_small_city, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text(
        "序号,单位,拟补贴人数\n1,甲区总工会,40\n2,乙县总工会,10\n3,某某集团有限公司工会,5\n4,全市调剂名额,5\n"
    )

    call_command("import_quota_table", str(path), program="test-city", source="市总工会补助", create_missing=True)

    created = Union.objects.get(name="某某集团有限公司工会")
    assert created.level == UnionLevel.ENTERPRISE and created.parent == imported_small_city["city"]
    source = imported_small_city["source"]
    assert Quota.objects.get(source=source, is_pool=True).slots == 5
    assert Quota.objects.filter(source=source).aggregate(s=Sum("slots"))["s"] == 60


@pytest.mark.django_db
def test_dry_run_writes_nothing(small_city, tmp_path):
    path = tmp_path / "good.xlsx"
    path.write_bytes(xlsx_bytes(GOOD))
    call_command("import_quota_table", str(path), program="test-city", source="市总工会补助", dry_run=True)
    assert not Quota.objects.exists()
    call_command("import_quota_table", str(path), program="test-city", source="市总工会补助")
    assert Quota.objects.count() == 2


@pytest.mark.django_db
def test_a_matching_source_has_no_table_of_its_own(small_city):
    from quotas.models import FundingSource, PayerRule

    matching = FundingSource.objects.create(
        program=small_city["program"],
        name="县区配套",
        payer_rule=PayerRule.APPLICANT_COUNTY,
        amount_yuan=1000,
        matching_of=small_city["source"],
    )
    preview = quota_table_preview(source=matching, table=quota_table_read(data=xlsx_bytes(GOOD), filename="g.xlsx"))
    assert any("跟随「市总工会补助」配套" in str(p) for p in preview.problems)


@pytest.mark.django_db
def test_a_unit_dropped_from_the_table_loses_its_row(imported_small_city):
    source = imported_small_city["source"]
    table = quota_table_read(data=xlsx_bytes([(1, "甲区总工会", 60)]), filename="one.xlsx")
    preview = quota_table_preview(source=source, table=table)
    result = quota_table_import(source=source, rows=preview.rows, actor=None)
    assert result.removed == ["乙县总工会"]
    assert list(Quota.objects.filter(source=source).values_list("union__name", "slots")) == [("甲区总工会", 60)]
