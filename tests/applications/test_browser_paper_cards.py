"""The edit page's paper cards on a phone: a 12 MP photo is shrunk before it is sent, a
HEIC photo is converted on the server, a PDF is taken; each card shows its picture, tap
opens it full screen, and replacing one paper never touches another."""

import io
import random
import time
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from applications.services import application_create_draft
from tests.browser import sign_in

from .factories import app_data, make_program, make_tree, make_worker, pdf_bytes
from .test_phone_photos import heic_bytes

ARTIFACTS = Path(__file__).parent / "artifacts"


def big_photo(size=(4000, 3000)) -> bytes:
    # Noise compresses badly, like a real photo: several MB at 12 MP.
    rnd = random.Random(7)
    small = Image.frombytes("RGB", (400, 300), bytes(rnd.randrange(256) for _ in range(400 * 300 * 3)))
    buf = io.BytesIO()
    small.resize(size, Image.NEAREST).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def _wait_until(page, expression: str, timeout: float = 10) -> None:
    # Not wait_for_function: its polling evaluates a string, which the page's CSP refuses.
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, expression
        page.wait_for_timeout(100)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_paper_cards_shrink_convert_preview_and_replace(live_server, phone_page, settings):
    page = phone_page
    tree = make_tree()
    program = make_program(tree["city"])
    worker = make_worker(tree["shop"])
    app = application_create_draft(worker=worker, program=program, data=app_data(), actor=worker.user)
    sign_in(page, live_server, worker.user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    assert page.locator("select[name=kind]").count() == 0  # nothing to choose from a list
    expect(page.locator("article.paper")).to_have_count(3)
    expect(page.locator("#paper-chsi")).to_contain_text("验证码")

    photo = big_photo()
    assert len(photo) > settings.UPLOAD_MAX_BYTES // 4
    uploads = {
        "form": ("IMG_20260301.jpg", "image/jpeg", photo),
        "chsi": ("学信网报告.pdf", "application/pdf", pdf_bytes()),
        "id_front": ("IMG_0001.HEIC", "image/heic", heic_bytes((1200, 900))),
    }
    for kind, (name, mime, data) in uploads.items():
        card = page.locator(f"#paper-{kind}")
        card.locator("input[type=file]").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": data}])
        expect(card.locator("button[type=submit]")).to_be_enabled()
        card.locator("button[type=submit]").click()
        expect(page.locator(f"#paper-{kind} [role=status]")).to_contain_text("材料已上传")
        expect(page.locator(f"#paper-{kind} .thumb img")).to_be_visible()

    current = {a.kind: a for a in app.attachments.filter(is_current=True)}
    form_photo = current["form"]
    # Shrunk on the phone: the server got a small JPEG, at most 2400 px long.
    assert form_photo.original_name == "IMG_20260301.jpg"
    with form_photo.file.open("rb") as f:
        assert max(Image.open(f).size) == 2400
    assert form_photo.size < len(photo) // 2
    assert current["id_front"].content_type == "image/jpeg"  # HEIC converted
    assert current["chsi"].content_type == "application/pdf"
    _wait_until(page, "[...document.querySelectorAll('.thumb img')].every(i => i.complete)")
    assert page.evaluate("[...document.querySelectorAll('.thumb img')].every(i => i.naturalWidth > 0)")
    page.screenshot(path=str(ARTIFACTS / "cards-edit.png"), full_page=True)

    # Tap the picture: the paper on the whole screen, then back to the card.
    page.locator("#paper-id_front .thumb").click()
    expect(page.locator("h1")).to_have_text("身份证正面")
    _wait_until(page, "document.querySelector('img.full').complete")
    assert page.evaluate("document.querySelector('img.full').naturalWidth") > 0
    page.screenshot(path=str(ARTIFACTS / "cards-view.png"), full_page=True)
    page.click("text=返回，重新上传")

    # Replace the ID photo: only that paper changes.
    card = page.locator("#paper-id_front")
    card.locator("input[type=file]").set_input_files(
        files=[{"name": "again.heic", "mimeType": "image/heic", "buffer": heic_bytes((900, 1200))}]
    )
    card.locator("button[type=submit]").click()
    expect(page.locator("#paper-id_front [role=status]")).to_contain_text("材料已上传")
    now = {a.kind: a.pk for a in app.attachments.filter(is_current=True)}
    assert now["form"] == form_photo.pk and now["chsi"] == current["chsi"].pk
    assert now["id_front"] != current["id_front"].pk


@pytest.mark.django_db
def test_an_upload_refusal_is_shown_on_its_own_card(client, program, worker):
    app = application_create_draft(worker=worker, program=program, data=app_data(), actor=worker.user)
    client.force_login(worker.user)
    from .factories import upload

    response = client.post(
        f"/applications/{app.pk}/upload/", {"kind": "chsi", "file": upload("a.gif", b"GIF89a....")}, follow=True
    )
    html = response.content.decode()
    card = html[html.index('id="paper-chsi"') : html.index("</article>", html.index('id="paper-chsi"'))]
    assert "上传失败" in card
    other = html[html.index('id="paper-form"') : html.index("</article>", html.index('id="paper-form"'))]
    assert "上传失败" not in other


@pytest.mark.django_db
def test_previews_are_the_owners_only(client, program, worker, tree):
    from applications.services import attachment_upload

    from .factories import jpeg_bytes, upload

    app = application_create_draft(worker=worker, program=program, data=app_data(), actor=worker.user)
    att = attachment_upload(
        application=app, kind="form", uploaded_file=upload("a.jpg", jpeg_bytes((800, 600))), actor=worker.user
    )
    client.force_login(worker.user)
    thumb = client.get(f"/attachments/{att.pk}/preview.jpg")
    assert thumb["Content-Type"] == "image/jpeg" and max(Image.open(io.BytesIO(thumb.content)).size) == 360
    assert client.get(f"/attachments/{att.pk}/view/").status_code == 200
    client.force_login(make_worker(tree["shop"]).user)
    assert client.get(f"/attachments/{att.pk}/preview.jpg").status_code == 404
    assert client.get(f"/attachments/{att.pk}/view/").status_code == 404
