"""Phones' own photo formats: HEIC (pillow-heif) and WebP are accepted through the usual
checks and stored as JPEG; what cannot be converted is refused saying what to do."""

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from applications.services import attachment_upload
from applications.uploads import upload_clean
from quotas.models import DocumentKind

from .factories import app_data, upload


def heic_bytes(size=(640, 480)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buf, "HEIF", quality=60)
    return buf.getvalue()


def webp_bytes(size=(640, 480)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 120, 30)).save(buf, "WEBP", quality=60)
    return buf.getvalue()


def _stored(clean) -> Image.Image:
    return Image.open(io.BytesIO(clean.content))


@pytest.mark.parametrize(("name", "make"), [("IMG_0001.HEIC", heic_bytes), ("photo.webp", webp_bytes)])
def test_phone_formats_are_stored_as_jpeg(name, make):
    clean = upload_clean(upload(name, make()))
    assert (clean.content_type, clean.extension) == ("image/jpeg", "jpg")
    assert _stored(clean).format == "JPEG" and _stored(clean).size == (640, 480)
    assert clean.original_name == name


def test_a_heic_named_jpg_is_refused_like_any_mismatch():
    with pytest.raises(ValidationError, match="扩展名与文件内容不符"):
        upload_clean(upload("photo.jpg", heic_bytes()))


def test_a_broken_heic_says_what_to_do():
    data = heic_bytes()
    with pytest.raises(ValidationError, match="兼容性最佳"):
        upload_clean(upload("IMG_0002.heic", data[:40] + b"\x00" * 200))


def test_an_oversized_webp_is_refused_before_decoding():
    with pytest.raises(ValidationError, match="照片像素过多（2600×1800）"):
        upload_clean(upload("big.webp", webp_bytes((2600, 1800))))


@pytest.mark.django_db
def test_a_heic_paper_is_uploaded_as_jpeg(program, worker):
    from applications.services import application_create_draft

    app = application_create_draft(worker=worker, program=program, data=app_data(), actor=worker.user)
    att = attachment_upload(
        application=app, kind=DocumentKind.ID_FRONT, uploaded_file=upload("id.heic", heic_bytes()), actor=worker.user
    )
    assert att.content_type == "image/jpeg" and att.file.name.endswith(".jpg")
