"""Tell the worker about each step: one in-app message per event (never two), plus an
email and an SMS where configured. The in-app row is written with the transition; the
email/SMS delivery is queued after it has committed.

Exactly once: the in-app row is unique per event; the email and the SMS are each *claimed*
by an ``UPDATE … WHERE emailed_at IS NULL`` before sending, so a task retried, delivered
twice by the broker, or run by two workers at once sends each copy once. If the send itself
fails the claim is released and the task retries. A worker process killed between the claim
and the send loses that copy (at most once); the in-app message is always there.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ApplicationEvent, Notification
from .sms import sms_backend
from .workflow import ACTION_LABELS

logger = logging.getLogger(__name__)


def _event_text(event: ApplicationEvent) -> tuple[str, str]:
    title = f"{event.application}：{ACTION_LABELS.get(event.action, event.action)}"
    body_parts = [p for p in (event.tier.name if event.tier else "", event.reason) if p]
    return title, "；".join(body_parts)


def notification_for_event_create(*, event: ApplicationEvent) -> Notification:
    """The message for an event just written, in the caller's transaction (the state
    machine calls it): one INSERT, no look-up; the email/SMS job is queued after commit.
    The event is new, so the one-message-per-event constraint cannot be hit here."""
    title, body = _event_text(event)
    application = event.application
    notification = Notification.objects.create(
        event=event, user_id=application.worker.user_id, application=application, title=title, body=body
    )
    notification_deliver_enqueue(notification_id=notification.pk)
    return notification


def notification_for_event_send(*, event_id: int) -> Notification | None:
    """The message for an already committed event, created if missing (idempotent)."""
    event = ApplicationEvent.objects.select_related("application__worker__user", "tier").get(pk=event_id)
    application = event.application
    title, body = _event_text(event)
    try:
        with transaction.atomic():
            notification, created = Notification.objects.get_or_create(
                event=event,
                defaults={
                    "user": application.worker.user,
                    "application": application,
                    "title": title,
                    "body": body,
                },
            )
            if created:
                notification_deliver_enqueue(notification_id=notification.pk)
    except IntegrityError:  # a concurrent delivery of the same event won the race
        notification = Notification.objects.get(event=event)
    return notification


def notification_deliver_enqueue(*, notification_id: int) -> None:
    """Queue the email/SMS copies once the message row is committed."""

    def enqueue() -> None:
        from .tasks import notification_deliver_task

        notification_deliver_task.delay(notification_id)

    # robust: a broken mail server must never turn a worker's submission into an error page.
    transaction.on_commit(enqueue, robust=True)


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
    """Send the email and SMS copies of one message, each at most once."""
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
    return sent


def notification_create(*, user, title: str, body: str = "", application=None) -> Notification:
    """A message not tied to a transition (reminders). Call inside the caller's transaction."""
    notification = Notification.objects.create(user=user, application=application, title=title, body=body)
    notification_deliver_enqueue(notification_id=notification.pk)
    return notification


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one message (or all, with no id) of this user as read; returns how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())
