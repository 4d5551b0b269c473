"""Writes for the union tree, admins and audit. Keyword-only, one transaction each."""

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from .audit import AuditAction
from .models import (
    PATH_SEGMENT_WIDTH,
    AdminRole,
    AuditLog,
    CatalogueEntry,
    EducationLevel,
    Program,
    Quota,
    Union,
    UnionAdmin,
)
from .selectors import union_admin_forget, union_admin_of


def audit_log_write(
    *, actor: AbstractBaseUser | None, action: str, obj: object | None = None, detail: dict | None = None
) -> AuditLog:
    """Append one audit row. Call inside the caller's transaction so both land or neither.

    ``action`` must be an ``AuditAction``: one vocabulary, each act with its Chinese label."""
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}: add it to quotas.audit.AuditAction")
    admin = union_admin_of(actor) if actor is not None else None
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_union=admin.union if admin else None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
        detail=detail or {},
    )


@transaction.atomic
def union_create(*, name: str, code: str, level: str, parent: Union | None = None, member_count: int = 0) -> Union:
    union = Union.objects.create(
        parent=parent, name=name, code=code, level=level, member_count=member_count, path=f"tmp-{code}"
    )
    prefix = parent.path if parent else ""
    union.path = f"{prefix}{union.pk:0{PATH_SEGMENT_WIDTH}d}."
    union.depth = 0 if parent is None else parent.depth + 1
    union.save(update_fields=["path", "depth"])
    return union


@transaction.atomic
def union_admin_create(*, user: AbstractBaseUser, union: Union, role: str = AdminRole.REVIEWER) -> UnionAdmin:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    union_admin = UnionAdmin.objects.create(user=user, union=union, role=role)
    union_admin_forget(user)
    return union_admin


@transaction.atomic
def union_update(*, union: Union, actor: AbstractBaseUser | None, **fields) -> Union:
    """Rename or re-level a union. The parent (and so the path) never changes here:
    moving a subtree would silently move its admins' scope too."""
    allowed = {"name", "code", "level", "member_count"}
    if unknown := set(fields) - allowed:
        raise ValueError(f"不能修改的字段：{', '.join(sorted(unknown))}")
    before = {key: getattr(union, key) for key in fields}
    for key, value in fields.items():
        setattr(union, key, value)
    union.full_clean(exclude=["path", "parent"])
    union.save(update_fields=list(fields))
    changed = {k: [before[k], v] for k, v in fields.items() if before[k] != v}
    if changed:
        audit_log_write(actor=actor, action="union.update", obj=union, detail={"changed": changed})
    return union


@transaction.atomic
def union_admin_update(
    *, union_admin: UnionAdmin, actor: AbstractBaseUser | None, union: Union, role: str
) -> UnionAdmin:
    before = {"union": union_admin.union.name, "role": union_admin.role}
    union_admin.union, union_admin.role = union, role
    union_admin.save(update_fields=["union", "role"])
    union_admin_forget(union_admin.user)
    audit_log_write(
        actor=actor,
        action="union_admin.update",
        obj=union_admin,
        detail={"before": before, "after": {"union": union.name, "role": role}},
    )
    return union_admin


@transaction.atomic
def setup_object_save(*, obj, actor: AbstractBaseUser | None, changed_fields: list[str] | None = None) -> None:
    """Save a programme set-up row (Program, Batch, FundingSource, CatalogueEntry) and
    record who changed what. Set-up rows carry no workflow, so a plain save is enough."""
    created = obj.pk is None
    obj.save()
    audit_log_write(
        actor=actor,
        action=f"{type(obj).__name__.lower()}.{'create' if created else 'update'}",
        obj=obj,
        detail={"changed": sorted(changed_fields or [])},
    )


@transaction.atomic
def quota_slots_set(
    *, quota: Quota, slots: int, actor: AbstractBaseUser | None, release_unused_at: datetime | None = None
) -> Quota:
    """Move slots by hand (结合申请人数及时调整). The source total may then differ from the
    table's sum; the quota list shows both so the city sees the gap."""
    if slots < 0:
        raise ValueError("名额不能为负数")
    quota = Quota.objects.select_for_update().get(pk=quota.pk)
    before = quota.slots
    quota.slots, quota.release_unused_at = slots, release_unused_at
    quota.save(update_fields=["slots", "release_unused_at"])
    audit_log_write(
        actor=actor,
        action="quota.update",
        obj=quota,
        detail={"source": quota.source_id, "label": str(quota), "before": before, "after": slots},
    )
    return quota


@transaction.atomic
def catalogue_import(*, program: Program, entries: list[dict], actor: AbstractBaseUser | None) -> int:
    """Replace a programme's school/major catalogue with ``entries`` (school, level,
    category, major). Returns how many entries the catalogue now holds."""
    valid_levels = set(EducationLevel.values)
    for index, entry in enumerate(entries, start=1):
        if entry["level"] not in valid_levels:
            raise ValueError(f"第{index}条：未知学历层次「{entry['level']}」")
        if not entry["school"] or not entry["major"]:
            raise ValueError(f"第{index}条：院校和专业不能为空")
    keep, created = [], 0
    for entry in entries:
        row, was_created = CatalogueEntry.objects.update_or_create(
            program=program,
            school=entry["school"],
            level=entry["level"],
            major=entry["major"],
            defaults={"category": entry.get("category", "")},
        )
        keep.append(row.pk)
        created += was_created
    removed, _ = CatalogueEntry.objects.filter(program=program).exclude(pk__in=keep).delete()
    if not (created or removed):
        return len(keep)
    audit_log_write(
        actor=actor,
        action="catalogue.import",
        obj=program,
        detail={"entries": len(keep), "created": created, "removed": removed},
    )
    return len(keep)
