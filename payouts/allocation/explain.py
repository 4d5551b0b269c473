"""The sentences that say why an application got (or did not get) a source's money.

Positions shown count the slots already fixed (published/paid awards) ahead of the ranked
candidates, so "第31位，本单位名额30" reads the same before and after a publication.
"""

from django.utils.translation import gettext as _

MAX_LEN = 300


def _clip(text: str) -> str:
    return text if len(text) <= MAX_LEN else text[: MAX_LEN - 1] + "…"


def unit_funded(*, row: dict, unit_label: str) -> str:
    position = row["unit_held"] + row["unit_rank"]
    return _clip(
        _("%(unit)s 第%(pos)s位，本单位名额%(slots)s")
        % {"unit": unit_label, "pos": position, "slots": row["unit_slots"]}
    )


def _unit_part(*, row: dict, unit_label: str | None) -> str:
    if row["quota_id"] is None or unit_label is None:
        return _("所在单位未列入名额分配表")
    return _("%(unit)s 第%(pos)s位，本单位名额%(slots)s") % {
        "unit": unit_label,
        "pos": row["unit_held"] + row["unit_rank"],
        "slots": row["unit_slots"],
    }


def pool_funded(*, row: dict, unit_label: str | None) -> str:
    return _clip(
        _("%(unit)s → 全市调剂名额第%(pos)s位")
        % {"unit": _unit_part(row=row, unit_label=unit_label), "pos": row["pool_held"] + row["pool_rank"]}
    )


def unit_unfunded(*, row: dict, unit_label: str | None, total_slots: int | None) -> str:
    if row["is_over"] == 0 or row["pool_rank"] <= row["pool_slots"] - row["pool_held"]:
        # Served by the unit or the pool, cut only by the source's overall total.
        return _clip(_("补助总名额%(total)s已用完，排位第%(pos)s") % {"total": total_slots, "pos": row["total_rank"]})
    unit = _unit_part(row=row, unit_label=unit_label)
    if row["pool_slots"] == 0:
        return _clip(_("%(unit)s，本单位名额已满，无调剂名额") % {"unit": unit})
    return _clip(
        _("%(unit)s，本单位名额已满，调剂名额已用完（调剂名额%(pool)s），调剂排位第%(pos)s")
        % {"unit": unit, "pool": row["pool_slots"], "pos": row["pool_held"] + row["pool_rank"]}
    )


def batch_funded(*, row: dict, batch_number: int, first_two_cap: int | None) -> str:
    position = row["batch_held"] + row["batch_rank"]
    if first_two_cap is not None:
        return _clip(
            _("第%(batch)s批前%(share)s名 第%(pos)s位（前两批已满额，各取前%(cap)s名）")
            % {"batch": batch_number, "share": row["batch_share"], "pos": position, "cap": first_two_cap}
        )
    return _clip(
        _("第%(batch)s批 第%(pos)s位，本批名额%(share)s（各批次平均分配）")
        % {"batch": batch_number, "pos": position, "share": row["batch_share"]}
    )


def _batches(numbers: tuple[int, ...]) -> str:
    return "、".join(str(n) for n in numbers)


def batch_spill_funded(*, donors: tuple[int, ...], batch_number: int, position: int, slots: int) -> str:
    return _clip(
        _("第%(donors)s批名额未用完，由第%(batch)s批按提交先后递补 第%(pos)s位（递补名额%(slots)s）")
        % {"donors": _batches(donors) or "?", "batch": batch_number, "pos": position, "slots": slots}
    )


def batch_unfunded(
    *,
    row: dict | None,
    batch_number: int | None,
    first_two_cap: int | None,
    spill_position: int | None = None,
    spill_slots: int = 0,
) -> str:
    """``spill_position``: the place in the queue for places passed on (when there are any)."""
    if row is None or batch_number is None:
        if first_two_cap is not None and batch_number is not None:
            text = _("前两批审核通过人数已达补助名额，第%(batch)s批不再发放") % {"batch": batch_number}
        else:
            text = _("本批次无此项补助名额")
    else:
        text = _("第%(batch)s批 第%(pos)s位，本批名额%(share)s已满") % {
            "batch": batch_number,
            "pos": row["batch_held"] + row["batch_rank"],
            "share": row["batch_share"],
        }
        if first_two_cap is not None:
            text += _("（前两批已满额，各取前%(cap)s名）") % {"cap": first_two_cap}
    if spill_slots and spill_position is not None:
        text += _("；递补名额%(slots)s已用完，递补排位第%(pos)s") % {"slots": spill_slots, "pos": spill_position}
    return _clip(text)


def global_funded(*, row: dict, total_slots: int) -> str:
    return _clip(_("第%(pos)s位，补助名额%(total)s") % {"pos": row["held_n"] + row["rank"], "total": total_slots})


def global_unfunded(*, row: dict, total_slots: int) -> str:
    return _clip(
        _("补助名额%(total)s已用完，排位第%(pos)s") % {"total": total_slots, "pos": row["held_n"] + row["rank"]}
    )


def seat_funded(*, row: dict, priority_mode: str = "", priority_groups: str = "") -> str:
    """``priority_mode``: how the programme ranks its priority groups ("" for none);
    ``priority_groups``: the applicant's groups at submission ("" for none)."""
    text = _("提交即占名额 第%(rank)s位") % {"rank": row["seat_rank"]}
    if priority_mode:
        who = _("优先群体：%(groups)s") % {"groups": priority_groups} if priority_groups else _("非优先群体")
        text += _("（%(who)s；%(mode)s）") % {"who": who, "mode": priority_mode}
    return _clip(text)


def matching(*, base_name: str, base_explanation: str, payer: str) -> str:
    return _clip(
        _("配套%(base)s（%(why)s），由%(payer)s发放") % {"base": base_name, "why": base_explanation, "payer": payer}
    )


def scope_word(*, union_name: str, level: str) -> str:
    """How a top-up's own subtree is named to its members: 本街道 / 本镇 / 本企业 / 本县区 / 本单位."""
    if "街道" in union_name:
        return _("本街道")
    return {"township": _("本镇"), "enterprise": _("本企业"), "county": _("本县区")}.get(level, _("本单位"))


def topup_funded(
    *, payer: str, amount: int, where: str, position: int, slots: int | None, base_name: str | None = None
) -> str:
    """ "横沟桥镇工会补助500元（本镇第3位，本镇名额10）"; with a base source
    "…（获市总工会补助，本街道第3位，本街道名额10）"; unlimited "…（本镇审核通过，第3位，不限名额）"."""
    parts = []
    if base_name:
        parts.append(_("获%(base)s") % {"base": base_name})
    if slots is None:
        parts.append(_("%(where)s第%(pos)s位，不限名额") % {"where": where, "pos": position})
    else:
        parts.append(
            _("%(where)s第%(pos)s位，%(where)s名额%(slots)s") % {"where": where, "pos": position, "slots": slots}
        )
    return _clip(
        _("%(payer)s补助%(amount)s元（%(why)s）") % {"payer": payer, "amount": amount, "why": "，".join(parts)}
    )


def topup_unfunded(*, where: str, position: int | None, slots: int | None, base_name: str | None = None) -> str:
    if position is None:
        if base_name:
            return _clip(_("未获%(base)s，无此项补助") % {"base": base_name})
        return _clip(_("不在%(where)s补助范围内") % {"where": where})
    return _clip(
        _("%(where)s名额%(slots)s已用完，%(where)s排位第%(pos)s") % {"where": where, "slots": slots, "pos": position}
    )
