"""Writes for the union tree, admins and audit. Keyword-only, one transaction each."""

import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from qiuxue.crypto import encrypt_text, hmac_index
from qiuxue.masking import mask_bank_card, mask_id_number, mask_phone

from .audit import AuditAction
from .models import (
    PATH_SEGMENT_WIDTH,
    AdminRole,
    AuditLog,
    CatalogueEntry,
    CoFunder,
    CoFunderStaff,
    EducationLevel,
    FundingSource,
    Program,
    Quota,
    Union,
    UnionAdmin,
)
from .permissions import may_move_quota, may_set_up_program
from .selectors import cofunder_staff_of, union_admin_forget, union_admin_of
from .usage import quota_floor_message, quota_given_counts, union_live_reviews


def audit_log_write(
    *, actor: AbstractBaseUser | None, action: str, obj: object | None = None, detail: dict | None = None
) -> AuditLog:
    """Append one audit row. Call inside the caller's transaction so both land or neither.

    ``action`` must be an ``AuditAction``: one vocabulary, each act with its Chinese label."""
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}: add it to quotas.audit.AuditAction")
    admin = union_admin_of(actor) if actor is not None else None
    detail = dict(detail or {})
    if admin is None and (staff := cofunder_staff_of(actor)) is not None:
        # A university's staff has no union: the row names the organisation instead.
        detail.setdefault("actor_cofunder", staff.cofunder.name)
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_union=admin.union if admin else None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
        detail=detail,
    )


# --- before and after, read from the database ------------------------------------------


def _audit_value(value):
    """A field value as the audit's JSON can hold it (dates as ISO text, decimals as text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _before_after(before: Mapping, after: Mapping) -> dict:
    """The fields whose value differs, each with its value before and after."""
    changed = sorted(k for k in after if before.get(k) != after[k])
    return {
        "changed": changed,
        "before": {k: _audit_value(before.get(k)) for k in changed},
        "after": {k: _audit_value(after[k]) for k in changed},
    }


def _editable_attnames(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if not f.primary_key]


# --- the union tree ---------------------------------------------------------------------


def _manager_union_of(actor: AbstractBaseUser | None) -> Union | None:
    admin = union_admin_of(actor) if actor is not None else None
    return admin.union if admin is not None and admin.role == AdminRole.MANAGER else None


@transaction.atomic
def union_create(
    *,
    name: str,
    code: str,
    level: str,
    parent: Union | None = None,
    member_count: int = 0,
    actor: AbstractBaseUser | None = None,
) -> Union:
    """Add a union below ``parent``. With an ``actor``: only a manager of ``parent`` or an
    ancestor of it may (the tree is edited from above). ``actor=None`` is the system
    (demo loader, fixtures, a quota-table import that already checked its own rights)."""
    if actor is not None:
        scope = _manager_union_of(actor)
        if scope is None or parent is None or not parent.path.startswith(scope.path):
            raise ValidationError(_("只有上级工会的管理员可以在其管辖范围内新建下级工会。"))
    union = Union.objects.create(
        parent=parent, name=name, code=code, level=level, member_count=member_count, path=f"tmp-{code}"
    )
    prefix = parent.path if parent else ""
    union.path = f"{prefix}{union.pk:0{PATH_SEGMENT_WIDTH}d}."
    union.depth = 0 if parent is None else parent.depth + 1
    union.save(update_fields=["path", "depth"])
    audit_log_write(
        actor=actor,
        action=AuditAction.UNION_CREATE,
        obj=union,
        detail={"after": {k: _audit_value(getattr(union, k)) for k in _editable_attnames(Union)}},
    )
    return union


UNION_FIELDS = ("name", "code", "level", "member_count", "parent")


@transaction.atomic
def union_update(*, union: Union, actor: AbstractBaseUser | None, **fields) -> Union:
    """Rename, relabel (level), move (parent) a union or set its member count.

    Only managers of an ancestor may change name, code, level or parent: a county's own
    manager relabelling it "city" would drop the city tier from its workers' review chain.
    A level or parent change is refused while an application under review passes through
    the union (its chain was built from the tree as it was), and a move also while approved
    applications under it wait for money (their submitted path decides their unit quota).
    A move re-paths the whole subtree. Audited with before and after as the database held
    them: the admin hands over an instance its form has already changed."""
    if unknown := set(fields) - set(UNION_FIELDS):
        raise ValueError(f"不能修改的字段：{', '.join(sorted(unknown))}")
    locked = Union.objects.select_for_update().get(pk=union.pk)
    new_parent = fields.pop("parent", locked.parent)
    if new_parent is not None and new_parent.pk != locked.parent_id:
        new_parent = Union.objects.select_for_update().get(pk=new_parent.pk)
    _union_update_refuse(current=locked, actor=actor, fields={**fields, "parent": new_parent})
    attnames = _editable_attnames(Union)
    before = {a: getattr(locked, a) for a in attnames}
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.parent = new_parent
    after = {a: getattr(locked, a) for a in attnames}
    locked.full_clean(exclude=["path", "depth"])
    locked.save(update_fields=["name", "code", "level", "member_count", "parent"])
    detail = _before_after(before, after)
    if before["parent_id"] != after["parent_id"]:
        old_path, new_path = locked.path, f"{new_parent.path}{locked.pk:0{PATH_SEGMENT_WIDTH}d}."
        # Lock the subtree, then rewrite every path prefix and depth in one statement.
        list(Union.objects.select_for_update().filter(path__startswith=old_path).values_list("pk", flat=True))
        Union.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1), output_field=CharField()),
            depth=F("depth") + (new_parent.depth + 1 - locked.depth),
        )
        old_parent = Union.objects.filter(pk=before["parent_id"]).values_list("name", flat=True).first()
        detail["before"].update(path=old_path, parent_name=old_parent or "")
        detail["after"].update(path=new_path, parent_name=new_parent.name)
    if detail["changed"]:
        audit_log_write(actor=actor, action=AuditAction.UNION_UPDATE, obj=locked, detail=detail)
    union.refresh_from_db()
    return union


def union_update_check(*, union: Union, actor: AbstractBaseUser | None, **fields) -> None:
    """The refusals of ``union_update`` without writing, for a form to show as its error
    (``union_update`` asks again under lock)."""
    current = Union.objects.get(pk=union.pk)
    _union_update_refuse(current=current, actor=actor, fields={"parent": current.parent, **fields})


def _union_update_refuse(*, current: Union, actor: AbstractBaseUser | None, fields: Mapping) -> None:
    new_parent = fields["parent"]
    moved = (new_parent.pk if new_parent else None) != current.parent_id
    relabelled = fields.get("level", current.level) != current.level
    touched = (
        moved or relabelled or any(fields.get(k, getattr(current, k)) != getattr(current, k) for k in ("name", "code"))
    )
    name = current.name
    if actor is not None:
        scope = _manager_union_of(actor)
        if scope is None or not current.path.startswith(scope.path):
            raise ValidationError(_("「%(u)s」不在您的管辖范围内，不能修改。") % {"u": name})
        if touched and scope.pk == current.pk:
            raise ValidationError(
                _("「%(u)s」是您所在的工会：它的名称、代码、层级和上级单位只能由上级工会的管理员修改。") % {"u": name}
            )
        if moved and new_parent is not None and not new_parent.path.startswith(scope.path):
            raise ValidationError(_("新的上级单位须在您的管辖范围内。"))
    if moved:
        if new_parent is None:
            raise ValidationError(_("工会必须有上级单位。"))
        if new_parent.path.startswith(current.path):
            raise ValidationError(_("不能把工会移到它自己或它的下级单位之下。"))
    if moved or relabelled:
        live = union_live_reviews(current)
        if live.in_review:
            raise ValidationError(
                _("「%(u)s」有 %(n)s 件申请正在审核中，其审核链经过本单位；审核完成前不能修改层级或上级单位。")
                % {"u": name, "n": live.in_review}
            )
        if moved and live.awaiting_money:
            raise ValidationError(
                _("「%(u)s」下有 %(n)s 件已审核通过的申请尚未发放；发放完成前不能移动本单位。")
                % {"u": name, "n": live.awaiting_money}
            )


# --- staff accounts ---------------------------------------------------------------------

_STAFF_NUMBER_RULES = {
    # kind: (pattern after NFKC, label, mask)
    "id_number": (re.compile(r"\d{17}[\dX]", re.ASCII), "身份证号", mask_id_number),
    "phone": (re.compile(r"1\d{10}", re.ASCII), "手机号", mask_phone),
    "bank_card": (re.compile(r"\d{12,19}", re.ASCII), "银行卡号", mask_bank_card),
}


def staff_number_normalise(*, kind: str, value: str) -> str:
    """A staff member's own ID, phone or card number as typed, normalised like a worker's
    (full-width digits folded by NFKC, spaces and dashes dropped); "" when left empty.
    Only ASCII digits pass, so the HMAC compares equal with the worker's copy."""
    pattern, label, _mask = _STAFF_NUMBER_RULES[kind]
    text = unicodedata.normalize("NFKC", value or "").strip().upper().replace(" ", "").replace("-", "")
    if text and not pattern.fullmatch(text):
        raise ValidationError(_("%(label)s格式不正确。") % {"label": label})
    return text


def _staff_numbers_apply(union_admin: UnionAdmin, numbers: Mapping[str, str]) -> list[str]:
    """Store the given numbers as HMAC (to compare) and mask (to show); the ID number also
    encrypted, like a worker's. Returns the kinds that were set."""
    done = []
    for kind, raw in numbers.items():
        value = staff_number_normalise(kind=kind, value=raw)
        if not value:
            continue
        setattr(union_admin, f"{kind}_hmac", hmac_index(value))
        setattr(union_admin, f"{kind}_masked", _STAFF_NUMBER_RULES[kind][2](value))
        if kind == "id_number":
            union_admin.id_number_encrypted = encrypt_text(value)
        done.append(kind)
    return done


def _union_admin_snapshot(union_admin: UnionAdmin) -> dict:
    return {
        "user": union_admin.user.get_username(),
        "union": union_admin.union.name,
        "role": union_admin.role,
        "id_number": union_admin.id_number_masked,
        "phone": union_admin.phone_masked,
        "bank_card": union_admin.bank_card_masked,
    }


def _staff_manage_check(actor: AbstractBaseUser | None, union: Union) -> None:
    if actor is None:
        return
    scope = _manager_union_of(actor)
    if scope is None or not union.path.startswith(scope.path):
        raise ValidationError(_("只有管理员可以为本级或下级工会设置管理员。"))


def _staff_account(*, user, username: str | None, password: str | None, as_what: str):
    """The account a staff record is made for: the one given, or a new one by ``username``.
    A worker's account never becomes staff (checked through the reverse accessor of
    applications.Worker: quotas may not import the model)."""
    User = get_user_model()
    if user is None:
        username = (username or "").strip()
        if not username:
            raise ValidationError(_("请选择已有的工作账号，或填写新账号的用户名。"))
        if User.objects.filter(username=username).exists():
            raise ValidationError(_("用户名「%(u)s」已被使用。") % {"u": username})
        user = User.objects.create_user(username=username, password=password or None)
    if User.objects.filter(pk=user.pk, worker__isnull=False).exists():
        raise ValidationError(
            _("账号「%(u)s」是职工账号（已填写实名信息），不能设为%(what)s；请为其另建工作账号。")
            % {"u": user.get_username(), "what": as_what}
        )
    return user


@transaction.atomic
def union_admin_create(
    *,
    union: Union,
    role: str = AdminRole.REVIEWER,
    user: AbstractBaseUser | None = None,
    username: str = "",
    password: str = "",
    actor: AbstractBaseUser | None = None,
    id_number: str = "",
    phone: str = "",
    bank_card: str = "",
) -> UnionAdmin:
    """Attach a staff account to a union: an existing account (``user``) or a new one
    (``username`` and ``password``). A worker's account never becomes staff: the person
    keeps a worker account to apply with and a separate staff account to review with, so
    the reviews can tell them apart. The staff member's own ID, phone and card numbers, when
    given, let the review refuse cases of the same person under another account."""
    _staff_manage_check(actor, union)
    user = _staff_account(user=user, username=username, password=password, as_what=_("工会管理员"))
    if UnionAdmin.objects.filter(user=user).exists():
        raise ValidationError(_("账号「%(u)s」已是工会管理员。") % {"u": user.get_username()})
    if CoFunderStaff.objects.filter(user=user).exists():
        raise ValidationError(
            _("账号「%(u)s」是高校工作人员账号，不能同时设为工会管理员。") % {"u": user.get_username()}
        )
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    union_admin = UnionAdmin(user=user, union=union, role=role)
    _staff_numbers_apply(union_admin, {"id_number": id_number, "phone": phone, "bank_card": bank_card})
    union_admin.save()
    union_admin_forget(user)
    audit_log_write(
        actor=actor,
        action=AuditAction.UNION_ADMIN_CREATE,
        obj=union_admin,
        detail={"after": _union_admin_snapshot(union_admin)},
    )
    return union_admin


@transaction.atomic
def union_admin_update(
    *,
    union_admin: UnionAdmin,
    actor: AbstractBaseUser | None,
    union: Union,
    role: str,
    id_number: str = "",
    phone: str = "",
    bank_card: str = "",
) -> UnionAdmin:
    """Change an admin's union or role, or record their own numbers (empty: kept)."""
    locked = UnionAdmin.objects.select_for_update().select_related("user", "union").get(pk=union_admin.pk)
    _staff_manage_check(actor, locked.union)
    _staff_manage_check(actor, union)
    before = _union_admin_snapshot(locked)
    locked.union, locked.role = union, role
    _staff_numbers_apply(locked, {"id_number": id_number, "phone": phone, "bank_card": bank_card})
    locked.save()
    union_admin_forget(locked.user)
    diff = _before_after(before, _union_admin_snapshot(locked))
    if diff["changed"]:
        audit_log_write(actor=actor, action=AuditAction.UNION_ADMIN_UPDATE, obj=locked, detail=diff)
    return locked


@transaction.atomic
def union_admin_delete(*, union_admin: UnionAdmin, actor: AbstractBaseUser | None) -> None:
    """Detach a staff account from its union; the account stays (its acts in the log
    point at it) but can no longer open the admin."""
    locked = UnionAdmin.objects.select_for_update().select_related("user", "union").get(pk=union_admin.pk)
    _staff_manage_check(actor, locked.union)
    if actor is not None and locked.user_id == actor.pk:
        raise ValidationError(_("不能移除您自己的管理员身份；请由其他管理员办理。"))
    before, pk, user = _union_admin_snapshot(locked), locked.pk, locked.user
    locked.delete()
    user.is_staff = False
    user.save(update_fields=["is_staff"])
    union_admin_forget(user)
    audit_log_write(
        actor=actor, action=AuditAction.UNION_ADMIN_DELETE, obj=None, detail={"union_admin_id": pk, "before": before}
    )


# --- programme set-up -------------------------------------------------------------------


@transaction.atomic
def setup_object_save(*, obj, actor: AbstractBaseUser | None, changed_fields: list[str] | None = None) -> None:
    """Save a programme set-up row (Program, Batch, FundingSource, CatalogueEntry) and
    record who changed what, with each changed field's value before (as the database held
    it, read under lock before the save) and after. Set-up rows carry no workflow, so a
    plain save is enough. ``changed_fields`` (the form's view) is kept for the record."""
    if isinstance(obj, (Quota, Union, UnionAdmin)):
        raise TypeError(f"{type(obj).__name__} has its own checked service")
    model = type(obj)
    attnames = _editable_attnames(model)
    created = obj.pk is None
    before = (
        {}
        if created
        else (model._default_manager.select_for_update().filter(pk=obj.pk).values(*attnames).first() or {})
    )
    obj.save()
    after = {a: getattr(obj, a) for a in attnames}
    if created:
        detail = {"after": {k: _audit_value(v) for k, v in after.items()}}
    else:
        detail = _before_after(before, after)
        if not detail["changed"]:
            return  # saved unchanged: nothing to record
    detail["form_changed"] = sorted(changed_fields or [])
    audit_log_write(
        actor=actor,
        action=f"{model.__name__.lower()}.{'create' if created else 'update'}",
        obj=obj,
        detail=detail,
    )


# --- quota slots ------------------------------------------------------------------------


@transaction.atomic
def quota_slots_write(*, slots: Mapping[int, int]) -> dict[int, tuple[int, int]]:
    """THE write of ``Quota.slots`` (by quota id): every caller (admin edit, quota-table
    import and apportionment, transfer, release of unused places) goes through here.

    Locks the rows in id order (two writers cannot deadlock), asks the apps above how many
    places of each are already given (awards published, paid or failed: those people were
    told) and refuses, writing nothing, any row that would drop below that or below zero.
    Returns ``{id: (before, after)}`` for the rows that changed; the caller audits."""
    rows = list(
        Quota.objects.select_for_update(of=("self",)).filter(pk__in=list(slots)).select_related("union").order_by("pk")
    )
    if len(rows) != len(set(slots)):
        raise ValueError("unknown quota row")
    given = quota_given_counts(rows)
    problems = []
    for quota in rows:
        new = slots[quota.pk]
        if new < 0:
            problems.append(_("「%(unit)s」的名额不能为负数（%(n)s）") % {"unit": quota, "n": new})
        elif new < given[quota.pk] and new < quota.slots:
            problems.append(quota_floor_message(quota=quota, given=given[quota.pk], slots=new))
    if problems:
        raise ValidationError(problems)
    changed = {}
    for quota in rows:
        if slots[quota.pk] != quota.slots:
            Quota.objects.filter(pk=quota.pk).update(slots=slots[quota.pk])
            changed[quota.pk] = (quota.slots, slots[quota.pk])
    return changed


@transaction.atomic
def quota_slots_set(
    *, quota: Quota, slots: int, actor: AbstractBaseUser | None, release_unused_at: datetime | None = None
) -> Quota:
    """Set a row's slots by hand (结合申请人数及时调整), never below the places it has
    given. The source total may then differ from the table's sum; the quota list shows
    both so the city sees the gap."""
    locked = Quota.objects.select_for_update().get(pk=quota.pk)
    before = {"slots": locked.slots, "release_unused_at": locked.release_unused_at}
    quota_slots_write(slots={locked.pk: slots})
    Quota.objects.filter(pk=locked.pk).update(release_unused_at=release_unused_at)
    locked.refresh_from_db()
    diff = _before_after(before, {"slots": locked.slots, "release_unused_at": locked.release_unused_at})
    if diff["changed"]:
        audit_log_write(
            actor=actor,
            action=AuditAction.QUOTA_UPDATE,
            obj=locked,
            detail={"source": locked.source_id, "label": str(locked), **diff},
        )
    quota.slots, quota.release_unused_at = locked.slots, locked.release_unused_at
    return locked


@transaction.atomic
def quota_transfer(
    *, from_quota: Quota, to_quota: Quota, slots: int, actor: AbstractBaseUser | None, reason: str
) -> tuple[Quota, Quota]:
    """Move ``slots`` from one row of a source's quota table to another (unit or pool),
    with a reason, never below the places the giving row has given."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写调整原因。"))
    if slots <= 0:
        raise ValidationError(_("调整名额须为正整数。"))
    if from_quota.pk == to_quota.pk or from_quota.source_id != to_quota.source_id:
        raise ValidationError(_("只能在同一补助来源的不同单位（或调剂名额）之间调整。"))
    if actor is not None:
        source = FundingSource.objects.select_related("program__owner_union").get(pk=from_quota.source_id)
        may_move_quota(user=actor, source=source).require()
    locked = {q.pk: q for q in Quota.objects.select_for_update().filter(pk__in=[from_quota.pk, to_quota.pk])}
    src, dst = locked[from_quota.pk], locked[to_quota.pk]
    quota_slots_write(slots={src.pk: src.slots - slots, dst.pk: dst.slots + slots})
    audit_log_write(
        actor=actor,
        action=AuditAction.QUOTA_TRANSFER,
        obj=src,
        detail={
            "source": src.source_id,
            "from": str(src),
            "to": str(dst),
            "slots": slots,
            "reason": reason,
            "from_before": src.slots,
            "to_before": dst.slots,
            "from_after": src.slots - slots,
            "to_after": dst.slots + slots,
        },
    )
    src.refresh_from_db()
    dst.refresh_from_db()
    from_quota.slots, to_quota.slots = src.slots, dst.slots
    return src, dst


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
    removed, _counts = CatalogueEntry.objects.filter(program=program).exclude(pk__in=keep).delete()
    if not (created or removed):
        return len(keep)
    audit_log_write(
        actor=actor,
        action="catalogue.import",
        obj=program,
        detail={"entries": len(keep), "created": created, "removed": removed},
    )
    return len(keep)


# --- co-funders (universities) ----------------------------------------------------------------


@transaction.atomic
def cofunder_save(*, program: Program, name: str, schools: list[str], actor: AbstractBaseUser | None) -> CoFunder:
    """Create or update (by name) a co-funder of ``program`` and the schools it answers for.
    Set up by the programme owner's managers (``actor=None``: the system, the demo). A school
    belongs to one co-funder only: two would both review, and both pay, its students."""
    if actor is not None:
        may_set_up_program(user=actor, program=program).require()
    name = (name or "").strip()
    schools = list(dict.fromkeys(s.strip() for s in schools if s and s.strip()))
    if not name:
        raise ValidationError(_("请填写单位名称。"))
    if not schools:
        raise ValidationError(_("请至少填写一所院校。"))
    cofunder = CoFunder.objects.select_for_update().filter(program=program, name=name).first()
    taken = {
        school: other.name
        for other in CoFunder.objects.filter(program=program).exclude(pk=getattr(cofunder, "pk", None))
        for school in other.schools
    }
    clash = [s for s in schools if s in taken]
    if clash:
        raise ValidationError(
            _("院校已属于本方案的其他资助单位：%(s)s") % {"s": "、".join(f"{s}（{taken[s]}）" for s in clash)}
        )
    before = {"name": cofunder.name, "schools": cofunder.schools} if cofunder else None
    if cofunder is None:
        cofunder = CoFunder.objects.create(program=program, name=name, schools=schools)
    elif cofunder.schools != schools:
        cofunder.schools = schools
        cofunder.save(update_fields=["schools"])
    else:
        return cofunder
    audit_log_write(
        actor=actor,
        action=AuditAction.COFUNDER_CREATE if before is None else AuditAction.COFUNDER_UPDATE,
        obj=cofunder,
        detail={"program": program.slug, "before": before, "after": {"name": name, "schools": schools}},
    )
    return cofunder


@transaction.atomic
def cofunder_staff_create(
    *,
    cofunder: CoFunder,
    role: str = AdminRole.REVIEWER,
    user: AbstractBaseUser | None = None,
    username: str = "",
    password: str = "",
    actor: AbstractBaseUser | None = None,
) -> CoFunderStaff:
    """Attach a staff account to a co-funder (a university): an existing account or a new
    one. As for union staff, a worker's account never becomes staff (the reviews tell the
    person who applies from the person who reviews by account); nor does union staff."""
    if actor is not None:
        may_set_up_program(user=actor, program=cofunder.program).require()
    if role not in AdminRole.values:
        raise ValidationError(_("角色不正确。"))
    user = _staff_account(user=user, username=username, password=password, as_what=_("高校工作人员"))
    if UnionAdmin.objects.filter(user=user).exists():
        raise ValidationError(
            _("账号「%(u)s」是工会管理员账号，不能同时设为高校工作人员。") % {"u": user.get_username()}
        )
    if CoFunderStaff.objects.filter(user=user).exists():
        raise ValidationError(_("账号「%(u)s」已是高校工作人员。") % {"u": user.get_username()})
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    staff = CoFunderStaff.objects.create(user=user, cofunder=cofunder, role=role)
    union_admin_forget(user)
    audit_log_write(
        actor=actor,
        action=AuditAction.COFUNDER_STAFF_CREATE,
        obj=staff,
        detail={"user": user.get_username(), "cofunder": cofunder.name, "role": role},
    )
    return staff
