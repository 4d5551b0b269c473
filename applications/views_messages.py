"""The worker's inbox: every message about their applications, newest first."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from .models import Notification
from .notifications import notification_mark_read, notification_open


@login_required
@require_http_methods(["GET", "POST"])
def messages_page(request: HttpRequest) -> HttpResponse:
    """GET lists the user's own messages; POST marks one (``id``) or all of them read."""
    if request.method == "POST":
        raw = request.POST.get("id", "")
        notification_mark_read(user=request.user, notification_id=int(raw) if raw.isdigit() else None)
        return redirect("applications:messages")
    qs = Notification.objects.filter(user=request.user).select_related("application")
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "applications/messages.html", {"page": page})


@login_required
@require_GET
def message_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a message reads it (no separate 标为已读 tap) and goes to its application."""
    try:
        note = notification_open(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    if note.application_id is not None:
        return redirect("applications:detail", pk=note.application_id)
    return redirect(reverse("applications:messages") + f"#msg-{note.pk}")
