"""Hostile and broken input: every bad file is refused (or cleaned) with a clear Chinese
message and nothing is stored; bad numbers are refused; other people's things are 404."""

import io
import struct
import zlib
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from applications.models import Attachment
from applications.services import application_submit, attachment_upload
from applications.uploads import upload_clean
from applications.validators import validate_bank_card, validate_id_number, validate_phone
from quotas.models import DocumentKind

from .factories import (
    jpeg_bytes,
    make_card,
    make_id_number,
    make_ready_application,
    make_user,
    make_worker,
    pdf_bytes,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels (a pixel-flood bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _gif() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "GIF")
    return buf.getvalue()


def _zip() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    return buf.getvalue()


def _wrong_check_char(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


BAD_FILES = [
    ("exe renamed", "photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "只接受"),
    ("svg with script", "id.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "只接受"),
    ("svg named jpg", "id.jpg", b'<?xml version="1.0"?><svg><script>alert(1)</script></svg>', "只接受"),
    ("html", "form.pdf", b"<!doctype html><html><script>alert(1)</script></html>", "只接受"),
    ("png header + html", "x.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "损坏"),
    ("truncated pdf", "report.pdf", pdf_bytes()[:120], "不完整"),
    (
        "pdf with javascript",
        "report.pdf",
        pdf_bytes(b"4 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n"),
        "脚本",
    ),
    ("pdf with openaction", "report.pdf", pdf_bytes(b"5 0 obj << /OpenAction 4 0 R >> endobj\n"), "脚本"),
    ("pdf with launch", "report.pdf", pdf_bytes(b"6 0 obj << /S /Launch /F (cmd.exe) >> endobj\n"), "脚本"),
    ("pdf with escaped name", "report.pdf", pdf_bytes(b"7 0 obj << /S /J#61vaScript /JS (x) >> endobj\n"), "脚本"),
    (
        "pdf with script in compressed stream",
        "report.pdf",
        pdf_bytes(
            b"8 0 obj << /Filter /FlateDecode >>\nstream\n"
            + zlib.compress(b"/JavaScript (x)")
            + b"\nendstream\nendobj\n"
        ),
        "脚本",
    ),
    ("pixel flood png", "big.png", _png_declaring(50000, 50000), "像素"),
    ("tall png over side limit", "tall.png", _png_declaring(9000, 100), "尺寸过大"),
    ("empty file", "empty.jpg", b"", "为空"),
    ("gif", "anim.gif", _gif(), "只接受"),
    ("gif renamed jpg", "anim.jpg", _gif(), "只接受"),
    ("zip", "docs.zip", _zip(), "只接受"),
    ("pdf named jpg", "scan.jpg", pdf_bytes(), "扩展名"),
    ("png named pdf", "scan.pdf", png_bytes(), "扩展名"),
    ("jpeg without extension", "scan", jpeg_bytes(), "扩展名"),
    ("truncated jpeg", "cut.jpg", jpeg_bytes()[:60], "损坏"),
]


@pytest.mark.parametrize(("label", "name", "data", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_refused_with_clear_message(label, name, data, message):
    with pytest.raises(ValidationError) as exc:
        upload_clean(upload(name, data))
    assert message in " ".join(exc.value.messages)


def test_fifty_megabyte_file_refused_through_the_page(client, tree, program, worker):
    app = make_ready_application(worker, program)
    client.force_login(worker.user)
    big = upload("huge.jpg", b"\xff\xd8\xff" + b"\x00" * (50 * 1024 * 1024))
    before = Attachment.objects.count()
    response = client.post(reverse("applications:upload", args=[app.pk]), {"kind": "form", "file": big}, follow=True)
    assert "MB 上限" in response.content.decode()
    assert Attachment.objects.count() == before


def test_upload_past_the_cap_is_stopped_while_it_streams_in(settings, tree, program, worker):
    # Just over the cap, so the declared length alone does not give it away: the handler
    # must stop at the chunk that crosses the cap, and the next handler (the one that
    # writes temporary files) must never get a byte past it.
    from django.core.files.uploadhandler import TemporaryFileUploadHandler
    from django.http.multipartparser import MultiPartParser
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    from applications.upload_handlers import TOO_LARGE_ATTR, SizeCapUploadHandler

    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    body = encode_multipart(
        BOUNDARY, {"kind": "form", "file": upload("a.jpg", b"\xff\xd8\xff" + b"\x00" * (1024 * 1024))}
    )

    class Request:
        pass

    request = Request()
    stored = []

    class CountingTemporary(TemporaryFileUploadHandler):
        def receive_data_chunk(self, raw_data, start):
            stored.append(len(raw_data))
            return super().receive_data_chunk(raw_data, start)

    handlers = [SizeCapUploadHandler(request, limit=settings.UPLOAD_MAX_BYTES), CountingTemporary(request)]
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    post, files = MultiPartParser(meta, io.BytesIO(body), handlers).parse()
    assert getattr(request, TOO_LARGE_ATTR) is True
    assert "file" not in files and post["kind"] == "form"
    assert sum(stored) <= settings.UPLOAD_MAX_BYTES


def test_upload_just_over_the_cap_refused_through_the_page(settings, client, tree, program, worker):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    app = make_ready_application(worker, program)
    client.force_login(worker.user)
    before = Attachment.objects.count()
    big = upload("a.jpg", b"\xff\xd8\xff" + b"\x00" * (1024 * 1024))
    response = client.post(reverse("applications:upload", args=[app.pk]), {"kind": "form", "file": big}, follow=True)
    assert "文件超过 1 MB 上限" in response.content.decode()
    assert Attachment.objects.count() == before


def test_upload_view_still_checks_csrf(tree, program, worker):
    from django.test import Client

    app = make_ready_application(worker, program)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(worker.user)
    photo = {"kind": "form", "file": upload("a.jpg", jpeg_bytes())}
    assert browser.post(reverse("applications:upload", args=[app.pk]), photo).status_code == 403
    browser.get(reverse("applications:edit", args=[app.pk]))
    token = browser.cookies["csrftoken"].value
    photo = {"kind": "form", "file": upload("a.jpg", jpeg_bytes()), "csrfmiddlewaretoken": token}
    response = browser.post(reverse("applications:upload", args=[app.pk]), photo)
    assert response.status_code == 302


def test_jpeg_with_trailing_html_is_reencoded_without_it():
    dirty = jpeg_bytes() + b"<html><script>alert(document.cookie)</script></html>"
    clean = upload_clean(upload("photo.jpg", dirty))
    assert b"<script>" not in clean.content and b"<html>" not in clean.content
    assert clean.content.startswith(b"\xff\xd8\xff")
    Image.open(io.BytesIO(clean.content)).verify()


def test_metadata_is_stripped_from_images():
    img = Image.new("RGB", (20, 20), (1, 2, 3))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam GPS"  # Make
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    assert b"SecretCam" in buf.getvalue()
    clean = upload_clean(upload("p.jpg", buf.getvalue()))
    assert b"SecretCam" not in clean.content


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.jpg", "..\\..\\windows\\win.ini.jpg", "a\x00.php.jpg", "/abs/path.jpg", "CON.jpg"]
)
def test_hostile_names_are_sanitised_and_storage_name_is_ours(tree, program, worker, name):
    app = make_ready_application(worker, program)
    att = attachment_upload(
        application=app, kind=DocumentKind.ID_FRONT, uploaded_file=upload(name, jpeg_bytes()), actor=worker.user
    )
    stored = Path(att.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve() / "attachments")
    assert stored.name != Path(name).name and stored.suffix == ".jpg"
    assert "/" not in att.original_name and "\\" not in att.original_name and "\x00" not in att.original_name
    assert ".." not in att.original_name.split("/")


def test_replacing_a_document_keeps_the_old_one(tree, program, worker):
    app = make_ready_application(worker, program)
    old = app.attachments.get(kind=DocumentKind.CHSI_REPORT, is_current=True)
    new = attachment_upload(
        application=app, kind=DocumentKind.CHSI_REPORT, uploaded_file=upload("r.pdf", pdf_bytes()), actor=worker.user
    )
    old.refresh_from_db()
    assert not old.is_current and new.is_current
    assert Path(old.file.path).exists()


def test_no_upload_after_submission(tree, program, worker):
    app = make_ready_application(worker, program)
    application_submit(application=app, actor=worker.user)
    with pytest.raises(ValidationError, match="不能再更换"):
        attachment_upload(application=app, kind="form", uploaded_file=upload("a.jpg", jpeg_bytes()), actor=worker.user)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("37010219900315123", "18位"),
        ("3701021990031512X5", "18位"),
        ("990102199003151234", "地区码"),
        (_wrong_check_char(make_id_number()), "校验位"),
        (make_id_number(birth=date(1950, 1, 1)), "年龄"),
        (make_id_number(birth=date(2015, 1, 1)), "年龄"),
        (make_id_number(birth=date(2090, 1, 1)), "晚于今天"),
    ],
)
def test_invalid_id_numbers(value, message):
    # Recompute a valid check digit for the date cases so only the date is wrong.
    with pytest.raises(ValidationError) as exc:
        validate_id_number(value)
    assert message in " ".join(exc.value.messages)


def test_id_number_with_impossible_date():
    body = "37010219900230123"  # 30 February
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    value = body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
    with pytest.raises(ValidationError, match="出生日期无效"):
        validate_id_number(value)


def test_valid_numbers_pass():
    number = make_id_number()
    assert validate_id_number(number.lower()) == number.upper()
    card = make_card()
    assert validate_bank_card(card[:4] + " " + card[4:]) == card
    assert validate_phone("13800000001") == "13800000001"


@pytest.mark.parametrize("card", ["6222021234567890127", "1234", "62220212345678901234", "6222abcd12345678"])
def test_invalid_bank_cards(card):
    with pytest.raises(ValidationError):
        validate_bank_card(card)


@pytest.mark.parametrize("phone", ["12800000001", "1380000000", "138000000012", "+8613800000001", "abcdefghijk"])
def test_invalid_phones(phone):
    with pytest.raises(ValidationError, match="11位手机号"):
        validate_phone(phone)


def test_profile_page_refuses_bad_numbers_and_writes_nothing(client, tree):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("applications:profile"),
        {
            "name": "李四",
            "id_number": "370102199003151235",
            "employer": "某公司",
            "union": tree["shop"].pk,
            "bank_name": "工商银行",
            "bank_card": "6222021234567890127",
            "is_frontline": "on",
            "holder_declaration": "on",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "身份证号" in body and ("校验位" in body or "校验" in body)
    assert "银行卡号校验不通过" in body
    from applications.models import Worker

    assert not Worker.objects.filter(user=user).exists()


def test_other_workers_things_are_404(client, tree, program, worker):
    app = make_ready_application(worker, program)
    att = app.attachments.first()
    intruder = make_worker(tree["shop"])
    client.force_login(intruder.user)
    for url in (
        reverse("applications:detail", args=[app.pk]),
        reverse("applications:edit", args=[app.pk]),
        reverse("applications:print", args=[app.pk]),
        reverse("applications:submit", args=[app.pk]),
        reverse("applications:withdraw", args=[app.pk]),
        reverse("applications:attachment_download", args=[att.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("applications:submit", args=[app.pk])).status_code == 404
    assert (
        client.post(
            reverse("applications:upload", args=[app.pk]), {"kind": "form", "file": upload("a.jpg", jpeg_bytes())}
        ).status_code
        == 404
    )
    app.refresh_from_db()
    assert app.status == "draft"
    # The owner gets the file, as a download.
    client.force_login(worker.user)
    response = client.get(reverse("applications:attachment_download", args=[att.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_anonymous_is_sent_to_login(client, tree, program, worker):
    app = make_ready_application(worker, program)
    response = client.get(reverse("applications:detail", args=[app.pk]))
    assert response.status_code == 302 and reverse("applications:login") in response["Location"]
