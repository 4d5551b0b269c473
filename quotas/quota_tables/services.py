"""Writes for quota tables: replace a source's rows from a checked table, in one transaction."""

from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from ..models import FundingSource, Quota, Union
from ..services import audit_log_write, quota_slots_write, union_create
from .matching import PreviewRow, guess_union_level, quota_rows_check, union_code_for
from .reading import Problem


class QuotaTableError(ValueError):
    """The table breaks a rule; nothing was written. ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("；".join(str(p) for p in problems))


@dataclass
class QuotaTableImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    created_unions: list[str] = field(default_factory=list)
    total: int = 0


@transaction.atomic
def quota_table_import(
    *,
    source: FundingSource,
    rows: list[PreviewRow],
    actor: AbstractBaseUser | None,
    create_missing: bool = False,
    filename: str = "",
) -> QuotaTableImportResult:
    """Make ``rows`` the source's quota table.

    Rows are updated in place (matched by unit, or as the pool) rather than deleted and
    re-created: awards point at quota rows, and re-importing the same table must leave
    the same ids behind. A unit dropped from the table is deleted unless awards use it.
    """
    # Lock the source so two imports of the same table cannot interleave.
    source = (
        FundingSource.objects.select_for_update(of=("self",))
        .select_related("program__owner_union", "matching_of")
        .get(pk=source.pk)
    )
    problems = quota_rows_check(source=source, rows=rows, create_missing=create_missing)
    if problems:
        raise QuotaTableError(problems)
    owner = source.program.owner_union
    result = QuotaTableImportResult(total=sum(r.slots for r in rows))
    existing = {None if q.is_pool else q.union_id: q for q in Quota.objects.select_for_update().filter(source=source)}
    kept: set[int] = set()
    new_slots: dict[int, int] = {}
    for row in rows:
        union_id = row.union_id
        if union_id is None and not row.is_pool:
            union = Union.objects.filter(code=union_code_for(parent=owner, name=row.label)).first()
            if union is None:
                union = union_create(
                    name=row.label,
                    code=union_code_for(parent=owner, name=row.label),
                    level=row.create_level or guess_union_level(row.label),
                    parent=owner,
                )
                result.created_unions.append(union.name)
            union_id = union.pk
        quota = existing.get(union_id)
        values = {"label": row.label, "position": row.position}
        if quota is None:
            # Created empty, then filled by the one checked slot write like every other row.
            quota = Quota.objects.create(source=source, union_id=union_id, is_pool=row.is_pool, slots=0, **values)
            result.created += 1
        elif quota.slots != row.slots or any(getattr(quota, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(quota, key, value)
            quota.save(update_fields=list(values))
            result.updated += 1
        else:
            result.unchanged += 1
        new_slots[quota.pk] = row.slots
        kept.add(quota.pk)
    try:
        quota_slots_write(slots=new_slots)
    except ValidationError as exc:
        raise QuotaTableError([Problem(None, message) for message in exc.messages]) from exc
    for quota in existing.values():
        if quota.pk in kept:
            continue
        try:
            quota.delete()
        except ProtectedError as exc:
            raise QuotaTableError(
                [Problem(None, f"「{quota}」已有补助分配结果，不能从名额表中删除；请保留该行（可改为 0）")]
            ) from exc
        result.removed.append(str(quota))
    if not (result.created or result.updated or result.removed):
        return result  # the same table again: no change, nothing to record
    audit_log_write(
        actor=actor,
        action="quota_table.import",
        obj=source,
        detail={
            "filename": filename,
            "rows": len(rows),
            "total": result.total,
            "created": result.created,
            "updated": result.updated,
            "removed": result.removed,
            "created_unions": result.created_unions,
        },
    )
    return result
