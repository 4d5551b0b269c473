"""Private files out of the default storage, streamed: local disk in the demo, an
S3-protocol bucket (AWS S3, MinIO, Aliyun OSS, Tencent COS) on several machines.

Only the permission-checked, audited views call this; there is no public URL for any file.
From a bucket the object's body is passed through in chunks (django-storages' own file
object would first copy the whole object to a temporary file on this machine)."""

from django.core.files.storage import default_storage, storages
from django.core.files.utils import validate_file_name
from django.http import FileResponse, Http404


def _s3_body(name: str):
    storage = storages["default"]
    if not hasattr(storage, "bucket"):
        return None, None
    from botocore.exceptions import ClientError
    from storages.utils import clean_name

    try:
        reply = storage.bucket.Object(storage._normalize_name(clean_name(name))).get()
    except ClientError as exc:
        raise Http404 from exc
    return reply["Body"], reply.get("ContentLength")


def private_file_response(*, name: str, filename: str, content_type: str, as_attachment: bool = True) -> FileResponse:
    """A streaming response of the stored file ``name``; 404 when it is not there."""
    validate_file_name(name, allow_relative_path=True)
    body, length = _s3_body(name)
    if body is None:
        try:
            body = default_storage.open(name, "rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
    response = FileResponse(body, as_attachment=as_attachment, filename=filename, content_type=content_type)
    if length is not None:
        response["Content-Length"] = str(length)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
