"""Changes of the fields the money follows (name, employer, union, bank card), once a worker
has approved money: held for review instead of written (issue 11, case 2).

Whoever takes over a worker's account could otherwise send the money to another card.
So after final approval ``worker_profile_save`` calls ``worker_change_stage``: the
``Worker`` row keeps the confirmed values, the new ones wait in a ``WorkerChange``, the
payout lists skip the worker's awards (``payouts.payout.selectors.awards_payable``) and the
worker is told on the timeline, in 消息 and by SMS (to the registered phone, which the
profile cannot change). Staff of the worker's union tree or the programme owner's finance
confirm (``worker_change_confirm``: the row takes the new values, the money follows them)
or refuse (``worker_change_refuse``: the old values stay). Nobody decides their own change.

A union change confirmed here moves the worker, not the applications: an approved
application keeps the ``union_path``, review chain and payer it was approved under (the
unit quota it used, the county that pays its matching money), like a move at any other
time; the worker's next application is reviewed under the new union.

Every step is audited with masked before/after and announced (``PROFILE_CHANGE_PENDING``,
``PROFILE_CHANGE_DECIDED``) in its transaction, for the payouts app to react.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qiuxue.crypto import encrypt_text, hmac_index
from qiuxue.masking import mask_bank_card
from quotas.audit import AuditAction
from quotas.models import AdminRole
from quotas.selectors import union_admin_of
from quotas.services import audit_log_write

from .announcements import Announcement, ProfileChangeNotice, announce
from .models import HELD_FIELDS, Application, ApplicationStatus, Worker, WorkerChange, WorkerChangeStatus
from .notifications import notification_create
from .progress import ProgressAction, ProgressStep, application_progress_record
from .validators import number_normalise

CS = WorkerChangeStatus
# The words the worker and the staff read for each held field (the card and its bank are one).
FIELD_LABELS = {
    "name": "姓名",
    "employer": "工作单位",
    "union": "所在工会",
    "bank_name": "银行卡",
    "bank_card": "银行卡",
    "payment_account": "收款账户",
}
NOTE_MAX = 500


def change_fields_label(fields: list[str]) -> str:
    """ "银行卡" or "银行卡、姓名": each word once, in the order of ``HELD_FIELDS``."""
    words: list[str] = []
    for name in HELD_FIELDS:
        if name in fields and FIELD_LABELS[name] not in words:
            words.append(FIELD_LABELS[name])
    return "、".join(words)


def change_title(fields: list[str], *, state: str = CS.PENDING) -> str:
    """ "银行卡变更待核实" when only the card moves (收款账户 likewise), "信息变更待核实：姓名、工作单位" otherwise."""
    card_only = set(fields) <= {"bank_name", "bank_card"}
    account_only = set(fields) == {"payment_account"}
    subject = _("银行卡变更") if card_only else _("收款账户变更") if account_only else _("信息变更")
    verb = {
        CS.PENDING: _("待核实"),
        CS.CONFIRMED: _("已核实生效"),
        CS.REFUSED: _("未通过核实"),
        CS.CANCELLED: _("已撤回"),
    }[state]
    if card_only or account_only:
        return f"{subject}{verb}"
    return f"{subject}{verb}：{change_fields_label(fields)}"


def change_summary(change: WorkerChange) -> str:
    """ "银行卡 6222 **** **** 0123 → 6217 **** **** 9012；姓名 张三 → 张叁" (masked)."""
    parts = []
    for name in HELD_FIELDS:
        if name in change.fields:
            label = _("开户银行") if name == "bank_name" else FIELD_LABELS[name]
            parts.append(f"{label} {change.before.get(name, '')} → {change.after.get(name, '')}")
    return "；".join(parts)


def pending_notice(pending: WorkerChange | None) -> dict | None:
    """The "银行卡变更待核实" box of the profile and status pages (masked before/after)."""
    if pending is None:
        return None
    return {
        "title": change_title(pending.fields),
        "summary": change_summary(pending),
        "requested_at": pending.requested_at,
    }


def held_field_shown(*, source, name: str) -> str:
    # What a page may show of a held field: the card only masked.
    if name == "union":
        return source.union.name
    if name == "bank_card":
        return source.bank_card_masked
    if name == "payment_account":
        return payment_account_shown(source)
    return getattr(source, name)


def payment_account_shown(source) -> str:
    """ "齐鲁工惠APP 我的钱包 6222 **** **** 0123", or "本人银行卡" (a Worker or WorkerChange)."""
    if source.payment_channel_id is None:
        return _("本人银行卡")
    return f"{source.payment_channel.name} {source.payment_account_masked}"


PAYMENT_FIELDS = ("payment_channel", "payment_account_encrypted", "payment_account_hmac", "payment_account_masked")


def _tell_worker(*, worker: Worker, title: str, reason: str, action: str, change: WorkerChange) -> None:
    """A timeline step on each approved application (with its message and SMS/email), or a
    plain message when none is approved any more (paid or withdrawn meanwhile)."""
    app_ids = list(worker.applications.filter(status=ApplicationStatus.APPROVED).values_list("pk", flat=True))
    if app_ids:
        application_progress_record(
            steps=[
                ProgressStep(
                    application_id=pk, action=action, label=title, reason=reason, detail={"worker_change": change.pk}
                )
                for pk in app_ids
            ]
        )
    else:
        notification_create(user=worker.user, title=title, body=reason)


def _audit_detail(change: WorkerChange, **extra) -> dict:
    return {"fields": list(change.fields), "before": dict(change.before), "after": dict(change.after), **extra}


def worker_change_stage(
    *, worker: Worker, data, card: str, actor: AbstractBaseUser, now=None, payment: dict | None = None
) -> WorkerChange | None:
    """Hold the held fields of ``data`` (a ``ProfileData``) as the worker's pending change.

    Called by ``worker_profile_save`` inside its transaction, with the ``Worker`` row
    locked (the lock serialises two tabs; the partial unique constraint backs it). ``card``
    is the validated new number, or "" for "keep" (the pending one, else the confirmed one);
    ``payment`` likewise the new payment account (``PAYMENT_FIELDS`` values), None = keep.
    Returns the pending change, or None when nothing differs from the confirmed values (a
    pending change the worker has changed back is then closed as cancelled)."""
    now = now or timezone.now()
    pending = WorkerChange.objects.select_for_update().filter(worker=worker, status=CS.PENDING).first()
    target = WorkerChange(
        worker=worker,
        name=data.name.strip(),
        employer=data.employer,
        union=data.union,
        bank_name=data.bank_name,
        requested_at=now,
    )
    if card:
        target.bank_card_encrypted = encrypt_text(card)
        target.bank_card_hmac = hmac_index(card)
        target.bank_card_masked = mask_bank_card(card)
    else:
        keep = pending or worker
        target.bank_card_encrypted = keep.bank_card_encrypted
        target.bank_card_hmac = keep.bank_card_hmac
        target.bank_card_masked = keep.bank_card_masked
    keep = pending or worker
    for f in PAYMENT_FIELDS:
        setattr(target, f, payment[f] if payment is not None else getattr(keep, f))
    differs = {
        "name": target.name != worker.name,
        "employer": target.employer != worker.employer,
        "union": target.union_id != worker.union_id,
        "bank_name": target.bank_name != worker.bank_name,
        "bank_card": target.bank_card_hmac != worker.bank_card_hmac,
        "payment_account": (target.payment_channel_id, target.payment_account_hmac)
        != (worker.payment_channel_id, worker.payment_account_hmac),
    }
    target.fields = [name for name in HELD_FIELDS if differs[name]]
    if not target.fields:
        if pending is not None:
            _cancel(change=pending, worker=worker, actor=actor, now=now)
        return None
    target.before = {name: held_field_shown(source=worker, name=name) for name in target.fields}
    target.after = {name: held_field_shown(source=target, name=name) for name in target.fields}
    if pending is not None:
        same = all(
            getattr(pending, f) == getattr(target, f)
            for f in (
                "fields",
                "name",
                "employer",
                "union_id",
                "bank_name",
                "bank_card_hmac",
                "payment_channel_id",
                "payment_account_hmac",
            )
        )
        if same:
            return pending  # saved again without touching the held fields: nothing new to tell
        for f in (
            "fields",
            "name",
            "employer",
            "union",
            "bank_name",
            "bank_card_encrypted",
            "bank_card_hmac",
            "bank_card_masked",
            *PAYMENT_FIELDS,
            "before",
            "after",
            "requested_at",
        ):
            setattr(pending, f, getattr(target, f))
        pending.save()
        change = pending
    else:
        target.save()
        change = target
    audit_log_write(
        actor=actor, action=AuditAction.WORKER_CHANGE_SUBMIT, obj=change, detail=_audit_detail(change, worker=worker.pk)
    )
    announce(Announcement.PROFILE_CHANGE_PENDING, ProfileChangeNotice(worker=worker, change=change))
    _tell_worker(
        worker=worker,
        title=change_title(change.fields),
        reason=_("%(summary)s。核实前补助暂缓发放，仍按原信息办理；如非本人操作，请立即联系所在工会。")
        % {"summary": change_summary(change)},
        action=ProgressAction.PROFILE_CHANGE_PENDING,
        change=change,
    )
    return change


def _cancel(*, change: WorkerChange, worker: Worker, actor: AbstractBaseUser, now) -> None:
    change.status = CS.CANCELLED
    change.decided_by = actor
    change.decided_at = now
    change.decision_note = _("本人已改回原信息")
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_log_write(
        actor=actor, action=AuditAction.WORKER_CHANGE_CANCEL, obj=change, detail=_audit_detail(change, worker=worker.pk)
    )
    announce(Announcement.PROFILE_CHANGE_DECIDED, ProfileChangeNotice(worker=worker, change=change, confirmed=False))
    _tell_worker(
        worker=worker,
        title=change_title(change.fields, state=CS.CANCELLED),
        reason=_("已改回原信息，补助按原信息发放。"),
        action=ProgressAction.PROFILE_CHANGE_CANCELLED,
        change=change,
    )


# --- the staff's decision ---------------------------------------------------------------


def worker_change_refusal_for(*, change: WorkerChange, actor: AbstractBaseUser) -> str:
    """Why ``actor`` may not decide ``change`` ("" when they may). The admin asks it to
    offer the buttons; the services ask it again under the locks."""
    admin_ = union_admin_of(actor)
    if admin_ is None:
        return _("只有工会工作人员可以核实信息变更。")
    worker = change.worker
    if not worker.union.path.startswith(admin_.union.path):
        return _("该职工不在本单位管辖范围内。")
    if admin_.role == AdminRole.FINANCE:
        # Finance decides for the programmes its union owns (the money it pays out).
        owned = Application.objects.filter(
            worker=worker,
            status__in=(ApplicationStatus.APPROVED, ApplicationStatus.PAID),
            program__owner_union__path__startswith=admin_.union.path,
        )
        if not owned.exists():
            return _("财务人员只能核实本单位所办方案中获补助职工的信息变更。")
    if _is_own(change=change, actor=actor):
        return _("不能核实本人的信息变更，请由其他工作人员办理。")
    return ""


def _is_own(*, change: WorkerChange, actor: AbstractBaseUser) -> bool:
    worker = change.worker
    if actor.pk == worker.user_id or number_normalise(actor.get_username()) == worker.phone:
        return True
    # A staff member who is also a registered worker: the same person, phone or card
    # (the new card may be the decider's own: that is the attack this review stops).
    own = Worker.objects.filter(user_id=actor.pk).first()
    return own is not None and (
        own.id_number_hmac == worker.id_number_hmac
        or own.phone == worker.phone
        or own.bank_card_hmac in (worker.bank_card_hmac, change.bank_card_hmac)
    )


def _lock_for_decision(*, change: WorkerChange, actor: AbstractBaseUser) -> tuple[WorkerChange, Worker]:
    # Worker first, then the change: the order of ``worker_profile_save``, so a decision
    # and a new edit of the same worker cannot deadlock.
    worker = Worker.objects.select_for_update(of=("self",)).select_related("union").get(pk=change.worker_id)
    locked = WorkerChange.objects.select_for_update(of=("self",)).select_related("union").get(pk=change.pk)
    locked.worker = worker
    if locked.status != CS.PENDING:
        raise ValidationError(
            _("该信息变更已处理（%(status)s），请刷新后查看。") % {"status": locked.get_status_display()}
        )
    refusal = worker_change_refusal_for(change=locked, actor=actor)
    if refusal:
        raise ValidationError(refusal)
    return locked, worker


def worker_change_confirm(*, change: WorkerChange, actor: AbstractBaseUser, note: str = "") -> WorkerChange:
    """The worker row takes the new values; the held awards are payable again and every
    line built from now on carries them."""
    note = (note or "").strip()[:NOTE_MAX]
    with transaction.atomic():
        locked, worker = _lock_for_decision(change=change, actor=actor)
        now = timezone.now()
        before = {name: held_field_shown(source=worker, name=name) for name in locked.fields}
        worker.name = locked.name
        worker.employer = locked.employer
        worker.union = locked.union
        worker.bank_name = locked.bank_name
        worker.bank_card_encrypted = locked.bank_card_encrypted
        worker.bank_card_hmac = locked.bank_card_hmac
        worker.bank_card_masked = locked.bank_card_masked
        for f in PAYMENT_FIELDS:
            setattr(worker, f, getattr(locked, f))
        worker.save(
            update_fields=[
                *PAYMENT_FIELDS,
                "name",
                "employer",
                "union",
                "bank_name",
                "bank_card_encrypted",
                "bank_card_hmac",
                "bank_card_masked",
                "updated_at",
            ]
        )
        locked.status = CS.CONFIRMED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, now, note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_log_write(
            actor=actor,
            action=AuditAction.WORKER_CHANGE_CONFIRM,
            obj=locked,
            detail={**_audit_detail(locked, worker=worker.pk), "before": before, "note": note},
        )
        announce(Announcement.PROFILE_CHANGE_DECIDED, ProfileChangeNotice(worker=worker, change=locked, confirmed=True))
        _tell_worker(
            worker=worker,
            title=change_title(locked.fields, state=CS.CONFIRMED),
            reason=_("%(summary)s。补助按新信息发放。") % {"summary": change_summary(locked)},
            action=ProgressAction.PROFILE_CHANGE_CONFIRMED,
            change=locked,
        )
    change.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return locked


def worker_change_refuse(*, change: WorkerChange, actor: AbstractBaseUser, reason: str) -> WorkerChange:
    """The old values stay (the row was never changed); the awards are payable again, to them."""
    reason = (reason or "").strip()[:NOTE_MAX]
    if not reason:
        raise ValidationError(_("请填写不通过的原因，职工会收到这条说明。"))
    with transaction.atomic():
        locked, worker = _lock_for_decision(change=change, actor=actor)
        locked.status = CS.REFUSED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_log_write(
            actor=actor,
            action=AuditAction.WORKER_CHANGE_REFUSE,
            obj=locked,
            detail=_audit_detail(locked, worker=worker.pk, note=reason),
        )
        announce(
            Announcement.PROFILE_CHANGE_DECIDED, ProfileChangeNotice(worker=worker, change=locked, confirmed=False)
        )
        _tell_worker(
            worker=worker,
            title=change_title(locked.fields, state=CS.REFUSED),
            reason=_("原因：%(reason)s。补助仍按原信息发放；如有疑问请联系所在工会。") % {"reason": reason},
            action=ProgressAction.PROFILE_CHANGE_REFUSED,
            change=locked,
        )
    change.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return locked
