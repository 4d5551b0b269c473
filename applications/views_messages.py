"""The worker's inbox: every message about their applications, newest first."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .models import Notification
from .notifications import notification_mark_read


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
