"""Match a read quota table to the union tree and check it against its funding source.

Reads only: the result is a ``QuotaTablePreview`` that the admin shows and the import
service writes. The same ``quota_rows_check`` runs again inside the write transaction,
so a preview that went stale (or rows built by hand) cannot slip past the rules.
"""

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from ..models import FundingSource, Quota, Union, UnionLevel
from ..usage import quota_floor_message, quota_given_counts
from .reading import Problem, RawTable

POOL_LABEL = "全市调剂名额"


@dataclass(frozen=True)
class PreviewRow:
    line: int | None
    position: int
    label: str
    slots: int
    is_pool: bool = False
    union_id: int | None = None
    union_name: str = ""
    match: str = ""  # exact | normalised | create | pool | missing | ambiguous
    create_level: str = ""
    # What the source's table holds now for this line (None: a new line), and, for the
    # apportionment, the member count the share was computed from.
    old_slots: int | None = None
    members: int | None = None

    @property
    def change(self) -> int:
        return self.slots - (self.old_slots or 0)


@dataclass
class QuotaTablePreview:
    source_id: int
    source_name: str
    expected_total: int | None
    title: str = ""
    rows: list[PreviewRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    create_missing: bool = False
    old_total: int = 0
    # Lines of the current table the new one no longer has: (label, slots).
    removed: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(row.slots for row in self.rows)

    @property
    def total_change(self) -> int:
        return self.total - self.old_total

    @property
    def shows_members(self) -> bool:
        return any(row.members is not None for row in self.rows)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def to_create(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.match == "create"]


def preview_compare_current(*, preview: QuotaTablePreview, source: FundingSource) -> QuotaTablePreview:
    """Put the current table beside the new one: each line's old slots, the lines that
    would go, the total's change. One query; nothing is written."""
    current = list(Quota.objects.filter(source=source).select_related("union").order_by("is_pool", "position", "id"))
    by_union = {q.union_id: q for q in current if not q.is_pool}
    pool = next((q for q in current if q.is_pool), None)
    matched: set[int] = set()
    rows = []
    for row in preview.rows:
        quota = pool if row.is_pool else by_union.get(row.union_id) if row.union_id is not None else None
        if quota is not None:
            row = replace(row, old_slots=quota.slots)
            matched.add(quota.pk)
        rows.append(row)
    preview.rows = rows
    preview.old_total = sum(q.slots for q in current)
    preview.removed = [(str(q), q.slots) for q in current if q.pk not in matched]
    return preview


_DROP = re.compile(r"[\s\u3000]+")


def normalise_name(name: str) -> str:
    """Compare names the way a person would: no spaces, no punctuation, half-width forms."""
    text = unicodedata.normalize("NFKC", name or "")
    text = _DROP.sub("", text)
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))


def is_pool_label(label: str) -> bool:
    return "调剂" in normalise_name(label)


def guess_union_level(name: str) -> str:
    """A level for a unit created from a table row, guessed from how unions name themselves."""
    text = normalise_name(name)
    if "机关工会工委" in text:
        return UnionLevel.ORGANS
    if text.endswith("总工会"):
        return UnionLevel.COUNTY  # 区/县/功能区总工会
    if any(word in text for word in ("集团", "公司", "厂")):
        return UnionLevel.ENTERPRISE
    return UnionLevel.INDUSTRY


def union_code_for(*, parent: Union, name: str) -> str:
    """Stable code for a union created from a table: the same name gives the same code."""
    digest = hashlib.sha1(normalise_name(name).encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{parent.code}-{digest}"


def _index(unions: Iterable[Union]) -> tuple[dict[str, list[Union]], dict[str, list[Union]]]:
    exact: dict[str, list[Union]] = {}
    loose: dict[str, list[Union]] = {}
    for union in unions:
        exact.setdefault(union.name.strip(), []).append(union)
        loose.setdefault(normalise_name(union.name), []).append(union)
    return exact, loose


def _pick(candidates: list[Union]) -> Union | None:
    """The shallowest candidate; None when two share the shallowest depth (ambiguous)."""
    candidates = sorted(candidates, key=lambda u: u.depth)
    if len(candidates) > 1 and candidates[0].depth == candidates[1].depth:
        return None
    return candidates[0]


def quota_table_preview(*, source: FundingSource, table: RawTable, create_missing: bool = False) -> QuotaTablePreview:
    owner = source.program.owner_union
    exact, loose = _index(Union.objects.subtree_of(owner).exclude(pk=owner.pk))
    preview = QuotaTablePreview(
        source_id=source.pk,
        source_name=source.name,
        expected_total=source.total_slots,
        title=table.title,
        problems=list(table.problems),
        create_missing=create_missing,
    )
    for index, raw in enumerate(table.rows, start=1):
        position = raw.position if raw.position is not None else index
        slots = raw.slots if raw.slots is not None else 0
        if is_pool_label(raw.label):
            preview.rows.append(PreviewRow(raw.line, position, raw.label, slots, is_pool=True, match="pool"))
            continue
        for kind, pool in (
            ("exact", exact.get(raw.label.strip())),
            ("normalised", loose.get(normalise_name(raw.label))),
        ):
            if pool:
                union = _pick(pool)
                if union is None:
                    preview.rows.append(PreviewRow(raw.line, position, raw.label, slots, match="ambiguous"))
                else:
                    preview.rows.append(
                        PreviewRow(raw.line, position, raw.label, slots, False, union.pk, union.name, kind)
                    )
                break
        else:
            if create_missing:
                level = guess_union_level(raw.label)
                preview.rows.append(
                    PreviewRow(raw.line, position, raw.label, slots, match="create", create_level=level)
                )
            else:
                preview.rows.append(PreviewRow(raw.line, position, raw.label, slots, match="missing"))
    preview.problems.extend(
        quota_rows_check(source=source, rows=preview.rows, create_missing=create_missing, skip_lines=_lines(table))
    )
    if table.stated_total is not None and table.stated_total != preview.total:
        preview.problems.append(Problem(None, f"表中合计为 {table.stated_total}，但各行相加为 {preview.total}"))
    return preview_compare_current(preview=preview, source=source)


def _lines(table: RawTable) -> set[int]:
    # Cell-level problems were already reported by the reader; do not report them twice.
    return {p.line for p in table.problems if p.line is not None}


def quota_rows_check(
    *, source: FundingSource, rows: list[PreviewRow], create_missing: bool, skip_lines: set[int] | None = None
) -> list[Problem]:
    """Every rule a quota table must meet before it replaces the source's rows."""
    skip_lines = skip_lines or set()
    problems: list[Problem] = []
    if source.matching_of_id is not None:
        problems.append(
            Problem(None, f"补助来源「{source.name}」跟随「{source.matching_of.name}」配套，不单独设名额分配表")
        )
        return problems
    if not source.uses_unit_quotas:
        problems.append(Problem(None, f"补助来源「{source.name}」未设置“按单位名额分配”，请先勾选再导入名额表"))
    owner = source.program.owner_union
    union_ids = {row.union_id for row in rows if row.union_id is not None}
    inside = set(Union.objects.subtree_of(owner).filter(pk__in=union_ids).values_list("pk", flat=True))
    seen_union: dict[int, PreviewRow] = {}
    seen_label: dict[str, PreviewRow] = {}
    pool_row: PreviewRow | None = None
    for row in rows:
        if row.slots < 0 and row.line not in skip_lines:
            problems.append(Problem(row.line, f"「{row.label}」的人数不能为负数（{row.slots}）"))
        if row.is_pool:
            if pool_row is not None:
                problems.append(Problem(row.line, f"调剂名额行重复（与第{pool_row.line}行）"))
            pool_row = row
            continue
        if row.union_id is None:
            if row.match == "create" and create_missing:
                pass
            elif row.match == "ambiguous":
                problems.append(Problem(row.line, f"「{row.label}」对应多个同名工会，请在名称中写明上级"))
            else:
                problems.append(
                    Problem(
                        row.line,
                        f"单位「{row.label}」在「{owner.name}」的下级工会中找不到；"
                        "请先在工会树中建立，或选择“自动创建缺少的单位”",
                    )
                )
        elif row.union_id not in inside:
            problems.append(Problem(row.line, f"单位「{row.label}」不属于「{owner.name}」"))
        key = normalise_name(row.label)
        earlier = seen_union.get(row.union_id) if row.union_id is not None else None
        earlier = earlier or seen_label.get(key)
        if earlier is not None:
            problems.append(Problem(row.line, f"单位「{row.label}」重复（与第{earlier.line}行）"))
        if row.union_id is not None:
            seen_union[row.union_id] = row
        seen_label[key] = row
    problems.extend(_below_given(source=source, rows=rows))
    total = sum(row.slots for row in rows)
    if source.total_slots is not None and total != source.total_slots:
        problems.append(
            Problem(None, f"名额合计 {total} 与补助来源「{source.name}」的补助名额 {source.total_slots} 不一致")
        )
    return problems


def _below_given(*, source: FundingSource, rows: list[PreviewRow]) -> list[Problem]:
    """Rows that would drop below the places already given (shown in the preview; the
    import's slot write checks again under lock). A unit left out of the table keeps its
    row only if awards use it, so it is not checked here."""
    existing = list(Quota.objects.filter(source=source).select_related("union"))
    given = quota_given_counts(existing)
    by_key = {None if q.is_pool else q.union_id: q for q in existing}
    problems = []
    for row in rows:
        quota = by_key.get(None if row.is_pool else row.union_id) if (row.is_pool or row.union_id) else None
        if quota is not None and row.slots < given[quota.pk] and row.slots < quota.slots:
            problems.append(Problem(row.line, quota_floor_message(quota=quota, given=given[quota.pk], slots=row.slots)))
    return problems
