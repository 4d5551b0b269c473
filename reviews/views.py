"""The attachment preview used by the review page: scoped, audited, inline, no sniffing."""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from applications.models import Attachment
from quotas.selectors import union_admin_of
from quotas.services import audit_log_write

from .selectors import applications_for_review

# Only these render inline in the preview frame; anything else downloads.
INLINE_TYPES = {"image/jpeg", "image/png", "application/pdf"}


@require_GET
@login_required
@xframe_options_sameorigin
def attachment_preview(request: HttpRequest, pk: int) -> FileResponse:
    admin = union_admin_of(request.user)
    if admin is None:
        # Not an admin (a worker, say): the same answer as "no such file".
        raise Http404
    attachment = (
        Attachment.objects.filter(pk=pk, application__in=applications_for_review(union=admin.union))
        .select_related("application")
        .first()
    )
    if attachment is None:
        raise Http404
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
