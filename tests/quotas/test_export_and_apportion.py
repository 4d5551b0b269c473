"""Export round-trip through real XLSX, and the apportionment arithmetic's properties."""

import io
from fractions import Fraction

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quotas.apportion import ApportionError, apportion_largest_remainder, quota_table_propose_from_members
from quotas.models import Quota
from quotas.quota_tables import (
    quota_table_export_xlsx,
    quota_table_import,
    quota_table_preview,
    quota_table_read,
)

from .conftest import JINAN_XLSX


def _import_jinan(source):
    table = quota_table_read(data=JINAN_XLSX.read_bytes(), filename=JINAN_XLSX.name)
    preview = quota_table_preview(source=source, table=table, create_missing=True)
    quota_table_import(source=source, rows=preview.rows, actor=None, create_missing=True)
    return preview


@pytest.mark.django_db
def test_export_has_the_published_shape_and_round_trips(jinan_source):
    original = _import_jinan(jinan_source)
    data = quota_table_export_xlsx(source=jinan_source)

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:C1"]
    assert "名额分配表" in sheet["A1"].value
    assert [c.value for c in sheet[2]] == ["序号", "单位", "拟补贴人数"]
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["B"].width >= 40
    assert sheet["B60"].value == "合计" and sheet["C60"].value == "=SUM(C3:C59)"
    assert sheet["C3"].border.left.style == "thin" and sheet["C60"].border.bottom.style == "thin"
    rows = [(r[0].value, r[1].value, r[2].value) for r in sheet.iter_rows(min_row=3, max_row=59)]
    assert rows == [(r.position, r.label, r.slots) for r in original.rows]

    again = quota_table_preview(source=jinan_source, table=quota_table_read(data=data, filename="export.xlsx"))
    assert again.ok, again.problems
    assert [(r.label, r.slots, r.is_pool, r.union_id) for r in again.rows] == [
        (r.label, r.slots, r.is_pool, q) for r, q in zip(original.rows, _union_ids(jinan_source), strict=True)
    ]
    result = quota_table_import(source=jinan_source, rows=again.rows, actor=None)
    assert result.unchanged == 57 and result.created == result.updated == 0


def _union_ids(source):
    return list(Quota.objects.filter(source=source).order_by("is_pool", "position").values_list("union_id", flat=True))


weights_strategy = st.dictionaries(
    keys=st.text(alphabet="甲乙丙丁戊己庚辛", min_size=1, max_size=3),
    values=st.integers(min_value=0, max_value=2_000_000),
    min_size=1,
    max_size=60,
).filter(lambda w: sum(w.values()) > 0)


@settings(max_examples=300, deadline=None)
@given(weights=weights_strategy, total=st.integers(0, 20_000), pool_share=st.integers(0, 100))
def test_shares_sum_exactly_and_each_is_within_one_slot_of_its_exact_share(weights, total, pool_share):
    pool = total * pool_share // 100
    shares = apportion_largest_remainder(total=total, weights=weights, pool=pool)
    assert sum(shares.values()) == total - pool
    weight_sum = sum(weights.values())
    for key, weight in weights.items():
        exact = Fraction((total - pool) * weight, weight_sum)
        assert exact - 1 < shares[key] < exact + 1
        if weight == 0:
            assert shares[key] == 0
    assert apportion_largest_remainder(total=total, weights=dict(weights), pool=pool) == shares


@settings(max_examples=200, deadline=None)
@given(weights=weights_strategy, total=st.integers(0, 5_000), rounds=st.integers(1, 3))
def test_growing_the_total_by_whole_weight_sums_grows_every_share_by_its_weight(weights, total, rounds):
    # Hamilton's method is not monotone for every step (the Alabama paradox); it is for
    # steps of sum(weights), where every remainder stays the same.
    weight_sum = sum(weights.values())
    small = apportion_largest_remainder(total=total, weights=weights)
    large = apportion_largest_remainder(total=total + rounds * weight_sum, weights=weights)
    assert all(large[k] == small[k] + rounds * w for k, w in weights.items())


@settings(max_examples=200, deadline=None)
@given(weights=weights_strategy, total=st.integers(0, 5_000))
def test_one_more_slot_in_total_is_one_more_slot_handed_out(weights, total):
    small = apportion_largest_remainder(total=total, weights=weights)
    large = apportion_largest_remainder(total=total + 1, weights=weights)
    assert sum(large.values()) == sum(small.values()) + 1
    # A key may lose a slot (the Alabama paradox), but never more than one.
    assert all(large[k] >= small[k] - 1 for k in weights)


def test_ties_go_to_the_larger_weight_then_to_key_order():
    # Exact shares 0.5 and 1.5: equal remainders, the larger weight wins the spare slot.
    assert apportion_largest_remainder(total=2, weights={"小": 1, "大": 3}) == {"小": 0, "大": 2}
    # Equal weights and remainders: the first key in the mapping wins.
    assert apportion_largest_remainder(total=4, weights={"乙": 1, "甲": 1, "丙": 1}) == {"乙": 2, "甲": 1, "丙": 1}


def test_all_zero_weights_and_bad_pools_are_refused_clearly():
    with pytest.raises(ApportionError, match="会员数都为 0"):
        apportion_largest_remainder(total=10, weights={"甲": 0, "乙": 0})
    with pytest.raises(ApportionError, match="调剂名额 11 大于名额总数 10"):
        apportion_largest_remainder(total=10, weights={"甲": 1}, pool=11)
    with pytest.raises(ApportionError, match="不能为负数"):
        apportion_largest_remainder(total=10, weights={"甲": -1, "乙": 2})
    assert apportion_largest_remainder(total=5, weights={"甲": 0}, pool=5) == {"甲": 0}


@pytest.mark.django_db
def test_proposal_from_member_counts_is_previewed_then_written(small_city):
    source = small_city["source"]  # 60 slots; 甲 has 3000 members, 乙 1000
    preview = quota_table_propose_from_members(source=source, pool=20)
    assert not Quota.objects.exists()
    assert preview.ok, preview.problems
    assert [(r.label, r.slots, r.is_pool) for r in preview.rows] == [
        ("甲区总工会", 30, False),
        ("乙县总工会", 10, False),
        ("全市调剂名额", 20, True),
    ]
    quota_table_import(source=source, rows=preview.rows, actor=None)
    assert sorted(Quota.objects.values_list("slots", flat=True)) == [10, 20, 30]


@pytest.mark.django_db
def test_proposal_with_no_member_counts_explains_why(small_city):
    small_city["a"].member_count = 0
    small_city["a"].save()
    small_city["b"].member_count = 0
    small_city["b"].save()
    preview = quota_table_propose_from_members(source=small_city["source"], pool=0)
    assert not preview.ok
    assert "会员数都为 0" in str(preview.problems[0])
