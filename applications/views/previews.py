"""What the worker sees of a paper they uploaded: a thumbnail on its card and a full-screen
view, both JPEGs made on the server from the stored file (the download stays a download)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from ..papers import FULL_SIDE, THUMB_SIDE, paper_preview, pdf_facts_of
from ..selectors import attachment_get_for_user
from .common import worker_required


@never_cache
@worker_required
def attachment_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """``?full=1``: the full-screen size; otherwise the card's thumbnail."""
    att = attachment_get_for_user(user=request.user, pk=pk)
    side = FULL_SIDE if request.GET.get("full") == "1" else THUMB_SIDE
    response = HttpResponse(paper_preview(attachment=att, side=side), content_type="image/jpeg")
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@worker_required
def attachment_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The paper on the whole screen, with a way back to the application."""
    att = attachment_get_for_user(user=request.user, pk=pk)
    return render(
        request, "applications/attachment_view.html", {"att": att, "app": att.application, "pdf": pdf_facts_of(att)}
    )
