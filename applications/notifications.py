"""Tell the worker about each step: one in-app message per event (never two), plus an
email and an SMS where configured. Delivery happens after the transition has committed."""

from django.db import IntegrityError, transaction

from .models import ApplicationEvent, Notification
from .workflow import ACTION_LABELS


def notification_for_event_send(*, event_id: int) -> Notification | None:
    event = ApplicationEvent.objects.select_related("application__worker__user", "tier").get(pk=event_id)
    application = event.application
    title = f"{application}：{ACTION_LABELS.get(event.action, event.action)}"
    body_parts = [p for p in (event.tier.name if event.tier else "", event.reason) if p]
    try:
        with transaction.atomic():
            notification, _created = Notification.objects.get_or_create(
                event=event,
                defaults={
                    "user": application.worker.user,
                    "application": application,
                    "title": title,
                    "body": "；".join(body_parts),
                },
            )
    except IntegrityError:  # a concurrent delivery of the same event won the race
        notification = Notification.objects.get(event=event)
    return notification
