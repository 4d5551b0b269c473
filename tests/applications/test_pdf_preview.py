"""A PDF's card: page 1's picture when the PDF is a scan, otherwise a drawn PDF page; the
caption gives name, page count and size and opens the file."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from applications.services import attachment_upload
from quotas.models import DocumentKind

from .factories import app_data, pdf_bytes, upload

pytestmark = pytest.mark.django_db

SCAN_GREEN = (30, 160, 60)


def scanned_pdf(pages: int = 3) -> bytes:
    """What a phone scanner app makes: each page one picture (A4 at 150 dpi)."""
    first = Image.new("RGB", (1240, 1754), SCAN_GREEN)
    rest = [Image.new("RGB", (1240, 1754), (250, 250, 250)) for _ in range(pages - 1)]
    buf = io.BytesIO()
    first.save(buf, "PDF", resolution=150, save_all=True, append_images=rest)
    return buf.getvalue()


def _draft(worker, program):
    from applications.services import application_create_draft

    return application_create_draft(worker=worker, program=program, data=app_data(), actor=worker.user)


def _preview(client, att) -> Image.Image:
    response = client.get(reverse("applications:attachment_preview", args=[att.pk]))
    assert response["Content-Type"] == "image/jpeg"
    return Image.open(io.BytesIO(response.content)).convert("RGB")


def test_a_scanned_pdf_shows_its_first_page(client, program, worker):
    app = _draft(worker, program)
    att = attachment_upload(
        application=app,
        kind=DocumentKind.CHSI_REPORT,
        uploaded_file=upload("扫描件.pdf", scanned_pdf(3)),
        actor=worker.user,
    )
    client.force_login(worker.user)
    picture = _preview(client, att)
    r, g, b = picture.getpixel((picture.width // 2, picture.height // 2))
    assert abs(r - SCAN_GREEN[0]) < 20 and abs(g - SCAN_GREEN[1]) < 20 and abs(b - SCAN_GREEN[2]) < 20
    assert max(picture.size) == 360 and picture.size[1] > picture.size[0]  # the A4 page, portrait
    page = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    assert "共3页" in page and "扫描件.pdf" in page and "上图为示意" not in page
    assert reverse("applications:attachment_download", args=[att.pk]) in page


def test_a_text_pdf_shows_the_drawn_card_and_says_so(client, program, worker):
    app = _draft(worker, program)
    att = attachment_upload(
        application=app, kind=DocumentKind.CHSI_REPORT, uploaded_file=upload("报告.pdf", pdf_bytes()), actor=worker.user
    )
    client.force_login(worker.user)
    picture = _preview(client, att)
    r, g, b = picture.getpixel((picture.width // 2, picture.height * 7 // 40 - picture.height // 20))
    assert r > 150 and g < 80 and b < 100  # the red "PDF" banner of the drawn card
    page = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    assert "共1页" in page and "上图为示意，不是第一页的样子。" in page
    view = client.get(reverse("applications:attachment_view", args=[att.pk])).content.decode()
    assert "这个PDF不是扫描件" in view and "共1页" in view
