"""Tell the worker about each step: one in-app message per event (never two), plus an
email and an SMS where configured.

The in-app row is written in the transaction of the step, and it is also the outbox of the
email/SMS copies: a beat sweep (``notification_deliver_pending``, every few seconds) sends
what is undelivered. So a submission at window open never waits on the broker (publishing a
Celery message per step cost more CPU than the rest of the submit's Python together), and a
broker or mail server that is down when the step commits delays the copies but loses none.

Exactly once per copy: the sweep leases a batch of rows (``SELECT … FOR UPDATE SKIP
LOCKED``, then ``deliver_after`` moved past the lease), so two sweeps work on different
rows; and each copy is *claimed* by an ``UPDATE … WHERE emailed_at IS NULL`` before
sending, so even two deliveries of one row send each copy once. A failed send releases its
claim and the row is tried again with back-off. A process killed between the claim and the
send loses that copy (at most once, by design: a duplicate SMS about money is worse than a
missing one); the in-app message is always there.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from quotas.services import audit_log_write

from .models import ApplicationEvent, Notification
from .sms import sms_backend
from .workflow import Action, event_label

logger = logging.getLogger(__name__)

# A sweep's lease on the rows it took: long enough for a batch through a slow gateway;
# a sweep that dies leaves them to the next one after it.
DELIVERY_LEASE = timedelta(minutes=5)
DELIVERY_BATCH = 200
# Back-off after a failed attempt: 30 s, 1, 2, 4 … min, up to DELIVERY_MAX_ATTEMPTS; then
# the row stays undelivered (the in-app message is there) and the failure is in the log.
DELIVERY_BACKOFF = timedelta(seconds=30)


# What the step means for the worker and what to do next: a title alone ("提交申请")
# told them nothing. Keyed by action; steps without an entry carry their own reason.
NEXT_STEP_TEXTS = {
    Action.SUBMIT: _lazy("申请已提交，正在等待审核。请留意审核进度，审核中不能修改。"),
    Action.RESUBMIT: _lazy("修改后的申请已重新提交，正在等待审核。"),
    Action.APPROVE: _lazy("本级审核通过，已报上级工会审核。"),
    Action.APPROVE_FINAL: _lazy("申请已终审通过，将按提交顺序在名额内确定补助，请留意公示。"),
    Action.RETURN: _lazy("申请被退回修改，请打开申请，按要求修改后重新提交。"),
    Action.REJECT: _lazy("申请未通过审核。"),
    Action.WITHDRAW: _lazy("申请已撤回。"),
    Action.REVOKE: _lazy("补助资格已取消。"),
    Action.MARK_PAID: _lazy("补助已发放到您登记的银行卡，请查收。"),
    Action.PASS_STAGE: _lazy("本阶段审核通过，名额为您保留。请打开申请，按下一阶段要求补充材料并在截止前提交。"),
    Action.SUBMIT_STAGE: _lazy("下一阶段材料已提交，正在等待审核。"),
    Action.LAPSE: _lazy("未在截止时间前提交下一阶段材料，本次申请已结束。"),
}


def _event_text(event: ApplicationEvent) -> tuple[str, str]:
    title = f"{event.application}：{event_label(event)}"
    tier = _("审核单位：%(tier)s") % {"tier": event.tier.name} if event.tier else ""
    body_parts = [str(p) for p in (NEXT_STEP_TEXTS.get(event.action, ""), tier, event.reason) if p]
    return title, "；".join(body_parts)


def notification_for_event_create(*, event: ApplicationEvent) -> Notification:
    """The message for an event just written, in the caller's transaction (the state
    machine calls it): one INSERT, no look-up, no broker. The event is new, so the
    one-message-per-event constraint cannot be hit here."""
    title, body = _event_text(event)
    application = event.application
    return Notification.objects.create(
        event=event, user_id=application.worker.user_id, application=application, title=title, body=body
    )


def notification_create(*, user, title: str, body: str = "", application=None) -> Notification:
    """A message not tied to a transition (reminders). Call inside the caller's transaction."""
    return Notification.objects.create(user=user, application=application, title=title, body=body)


def notification_open(*, user, notification_id: int) -> Notification:
    """The worker opens one of their own messages: it is read from then on. Another
    user's id is no message at all (``DoesNotExist``)."""
    with transaction.atomic():
        note = Notification.objects.select_related("application").get(pk=notification_id, user=user)
        if note.read_at is None:
            note.read_at = timezone.now()
            note.save(update_fields=["read_at"])
    return note


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one message (or all, with no id) of this user as read; returns how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def _claim(notification_id: int, field: str) -> bool:
    # Autocommit UPDATE: the row lock makes a concurrent claimer wait, then see NOT NULL.
    return (
        Notification.objects.filter(pk=notification_id, **{f"{field}__isnull": True}).update(**{field: timezone.now()})
        == 1
    )


def _release(notification_id: int, field: str) -> None:
    Notification.objects.filter(pk=notification_id).update(**{field: None})


def _text(notification: Notification) -> str:
    body = f"\n{notification.body}" if notification.body else ""
    return f"【求学圆梦行动】{notification.title}{body}"


def notification_deliver(*, notification_id: int) -> dict[str, bool]:
    """Send the email and SMS copies of one message, each at most once; then mark the
    message delivered. A failed send gives its claim back and raises."""
    notification = Notification.objects.select_related("user__worker").get(pk=notification_id)
    worker = getattr(notification.user, "worker", None)
    email = (worker.email if worker else "") or notification.user.email
    phone = worker.phone if worker else ""
    sent = {"email": False, "sms": False}
    if email and getattr(settings, "NOTIFY_BY_EMAIL", True) and _claim(notification_id, "emailed_at"):
        try:
            send_mail(notification.title, _text(notification), None, [email])
        except Exception:
            _release(notification_id, "emailed_at")
            raise
        sent["email"] = True
    backend = sms_backend()
    if phone and backend is not None and _claim(notification_id, "texted_at"):
        try:
            backend.send(phone, _text(notification))
        except Exception:
            _release(notification_id, "texted_at")
            raise
        sent["sms"] = True
    Notification.objects.filter(pk=notification_id, delivered_at__isnull=True).update(delivered_at=timezone.now())
    return sent


def notification_delivery_retry(*, notification_ids: list[int], actor) -> int:
    """Give messages that ran out of attempts (a gateway down for hours) a fresh start: the
    next sweep sends them. Delivered messages are left alone. Audited; returns how many."""
    with transaction.atomic():
        ids = list(Notification.objects.failed().filter(pk__in=notification_ids).values_list("pk", flat=True))
        Notification.objects.filter(pk__in=ids).update(delivery_attempts=0, deliver_after=None)
        if ids:
            audit_log_write(actor=actor, action="notification.retry", detail={"notifications": ids})
    return len(ids)


def notification_lease_pending(*, now: datetime | None = None, limit: int = DELIVERY_BATCH) -> list[int]:
    """Take up to ``limit`` due messages for this sweep: rows another sweep holds are
    skipped (SKIP LOCKED while choosing, then the lease while sending)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.due(now)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        Notification.objects.filter(pk__in=ids).update(deliver_after=now + DELIVERY_LEASE)
    return ids


def notification_deliver_pending(*, now: datetime | None = None, limit: int = DELIVERY_BATCH) -> dict[str, int]:
    """One sweep of the outbox: lease a batch and send it. Returns how many messages were
    taken, sent (each copy counted once) and failed (tried again after a back-off)."""
    now = now or timezone.now()
    ids = notification_lease_pending(now=now, limit=limit)
    done = {"taken": len(ids), "emails": 0, "sms": 0, "failed": 0}
    for notification_id in ids:
        try:
            sent = notification_deliver(notification_id=notification_id)
        except Exception:
            logger.exception("notification %s: delivery failed, will retry", notification_id)
            attempts = Notification.objects.filter(pk=notification_id).values_list("delivery_attempts", flat=True)
            backoff = DELIVERY_BACKOFF * 2 ** next(iter(attempts), 0)
            Notification.objects.filter(pk=notification_id).update(
                delivery_attempts=F("delivery_attempts") + 1, deliver_after=timezone.now() + backoff
            )
            done["failed"] += 1
            continue
        done["emails"] += sent["email"]
        done["sms"] += sent["sms"]
    return done
