"""Template context for every page: the unread-message badge in the nav."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .models import Notification


def unread_messages(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: the count query runs only on pages whose template shows the badge.
    return {
        "unread_message_count": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user, read_at__isnull=True).count()
        )
    }
