"""The attachment preview used by the review page: scoped, audited, inline, no sniffing."""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from applications.models import Attachment
from applications.papers import FULL_SIDE, THUMB_SIDE, paper_preview
from quotas.selectors import cofunder_staff_of, union_admin_of
from quotas.services import audit_log_write

from .selectors import applications_for_cofunder, applications_for_review

# Only these render inline in the preview frame; anything else downloads.
INLINE_TYPES = {"image/jpeg", "image/png", "application/pdf"}


def _attachment_in_scope(request: HttpRequest, pk: int) -> Attachment:
    """A paper of an application the signed-in reviewer may see: a union's subtree, or a
    university's own students; anyone else gets "no such file"."""
    admin = union_admin_of(request.user)
    if admin is not None:
        scope = applications_for_review(union=admin.union)
    else:
        staff = cofunder_staff_of(request.user)
        if staff is None:
            raise Http404
        scope = applications_for_cofunder(cofunder=staff.cofunder)
    attachment = Attachment.objects.filter(pk=pk, application__in=scope).select_related("application").first()
    if attachment is None:
        raise Http404
    return attachment


@require_GET
@login_required
@never_cache
def attachment_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    """The review page's thumbnail (``?full=1``: the viewer's size), a JPEG made here from
    the stored file. Audited as a view of the paper, like the preview."""
    attachment = _attachment_in_scope(request, pk)
    full = request.GET.get("full") == "1"
    with transaction.atomic():
        audit_log_write(
            actor=request.user,
            action="attachment.view",
            obj=attachment,
            detail={
                "application_id": attachment.application_id,
                "kind": attachment.kind,
                "size": "full" if full else "thumb",
            },
        )
    body = paper_preview(attachment=attachment, side=FULL_SIDE if full else THUMB_SIDE)
    response = HttpResponse(body, content_type="image/jpeg")
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
@xframe_options_sameorigin
def attachment_preview(request: HttpRequest, pk: int) -> FileResponse:
    attachment = _attachment_in_scope(request, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    with transaction.atomic():
        audit_log_write(
            actor=request.user,
            action="attachment.view",
            obj=attachment,
            detail={"application_id": attachment.application_id, "kind": attachment.kind},
        )
    inline = attachment.content_type in INLINE_TYPES
    ext = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}.get(attachment.content_type, "bin")
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=f"{attachment.application}-{attachment.kind}.{ext}",
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # A PDF or image in the frame needs nothing else; no scripts, no outbound requests.
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'"
    )
    return response
