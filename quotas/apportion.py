"""Apportion a quota in proportion to member counts (按比例分配).

Cities set each unit's slots "in proportion to its union membership of the previous
year", with a city-wide pool set aside. ``apportion_largest_remainder`` is the pure
arithmetic; ``quota_table_propose_from_members`` turns it into a quota-table preview that
the import service writes after a person has looked at it.
"""

from collections.abc import Hashable, Mapping

from .models import FundingSource, Quota, Union
from .quota_tables.matching import (
    POOL_LABEL,
    PreviewRow,
    QuotaTablePreview,
    preview_compare_current,
    quota_rows_check,
)
from .quota_tables.reading import Problem


class ApportionError(ValueError):
    pass


def apportion_largest_remainder[K: Hashable](*, total: int, weights: Mapping[K, int], pool: int = 0) -> dict[K, int]:
    """Split ``total - pool`` slots over ``weights`` by the largest-remainder (Hamilton) method.

    Each key first gets the whole part of its exact share ``(total - pool) * w / sum(w)``;
    the slots left over go one each to the keys with the largest fractional remainders.
    Ties on the remainder go to the larger weight first, then to the key that comes first
    in ``weights`` (insertion order), so the result is fully deterministic.

    Guarantees: the shares sum exactly to ``total - pool``; each share is within one slot
    of the exact proportional share (floor or ceiling); a zero weight gets 0. Integer
    arithmetic only (no float rounding). Like every Hamilton apportionment it can show the
    Alabama paradox (one key losing a slot when ``total`` grows by one); growing ``total``
    by a multiple of ``sum(weights)`` grows every share by the same multiple of its weight.

    Raises ``ApportionError`` for a negative total, pool or weight, a pool larger than
    the total, or weights that are all zero while slots remain to give out.
    """
    if total < 0 or pool < 0:
        raise ApportionError("名额总数和调剂名额不能为负数")
    if pool > total:
        raise ApportionError(f"调剂名额 {pool} 大于名额总数 {total}")
    if any(w < 0 for w in weights.values()):
        raise ApportionError("会员数不能为负数")
    to_share = total - pool
    weight_sum = sum(weights.values())
    if weight_sum == 0:
        if to_share == 0:
            return dict.fromkeys(weights, 0)
        raise ApportionError("所有单位的会员数都为 0，无法按比例分配名额；请先填写会员数")
    shares: dict[K, int] = {}
    remainders: list[tuple[int, int, int, K]] = []
    for order, (key, weight) in enumerate(weights.items()):
        whole, remainder = divmod(to_share * weight, weight_sum)
        shares[key] = whole
        remainders.append((-remainder, -weight, order, key))
    left = to_share - sum(shares.values())
    for _r, _w, _o, key in sorted(remainders, key=lambda item: item[:3])[:left]:
        shares[key] += 1
    return shares


def apportion_units_for(source: FundingSource) -> list[Union]:
    """The units a proposal covers: the source's current table, else the owner's children."""
    current = list(
        Union.objects.filter(quotas__source=source, quotas__is_pool=False).order_by("quotas__position", "path")
    )
    if current:
        return current
    return list(Union.objects.filter(parent=source.program.owner_union).order_by("path"))


def quota_table_propose_from_members(*, source: FundingSource, pool: int) -> QuotaTablePreview:
    """A quota table in proportion to member counts, as a preview (nothing is written)."""
    preview = QuotaTablePreview(
        source_id=source.pk,
        source_name=source.name,
        expected_total=source.total_slots,
        title=f"按会员数比例生成（调剂名额 {pool}）",
    )
    if source.total_slots is None:
        preview.problems.extend(quota_rows_check(source=source, rows=[], create_missing=False))
        return preview
    units = apportion_units_for(source)
    try:
        shares = apportion_largest_remainder(
            total=source.total_slots, weights={u.pk: u.member_count for u in units}, pool=pool
        )
    except ApportionError as exc:
        preview.problems.append(Problem(None, str(exc)))
        return preview
    labels = dict(Quota.objects.filter(source=source, union__isnull=False).values_list("union_id", "label"))
    for position, union in enumerate(units, start=1):
        preview.rows.append(
            PreviewRow(
                None,
                position,
                labels.get(union.pk) or union.name,
                shares[union.pk],
                False,
                union.pk,
                union.name,
                "exact",
                members=union.member_count,
            )
        )
    if pool:
        preview.rows.append(PreviewRow(None, len(units) + 1, POOL_LABEL, pool, is_pool=True, match="pool"))
    preview.problems.extend(quota_rows_check(source=source, rows=preview.rows, create_missing=False))
    return preview_compare_current(preview=preview, source=source)
