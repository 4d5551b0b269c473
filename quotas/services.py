"""Writes for the union tree, admins and audit. Keyword-only, one transaction each."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from .models import PATH_SEGMENT_WIDTH, AdminRole, AuditLog, Union, UnionAdmin
from .selectors import union_admin_of


def audit_log_write(
    *, actor: AbstractBaseUser | None, action: str, obj: object | None = None, detail: dict | None = None
) -> AuditLog:
    """Append one audit row. Call inside the caller's transaction so both land or neither."""
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
    return UnionAdmin.objects.create(user=user, union=union, role=role)
