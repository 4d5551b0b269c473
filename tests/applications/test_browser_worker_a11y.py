"""Every page of the worker's side on a 390×844 phone: no serious or critical axe-core
violation, no horizontal scrolling at 200 % text size, and under 60 KB with its own assets
(HTML + CSS + JS + the images it loads). The figures are printed (``-s``) for docs/worker.md."""

import pytest

from applications.services import application_create_draft, application_submit, attachment_upload
from tests.browser import PHONE, axe_serious, fits_width_at_text_200, page_weight, sign_in

from .factories import app_data, jpeg_bytes, make_program, make_tree, make_worker, pdf_bytes, upload

MAX_PAGE_BYTES = 60 * 1024
# The elements that stick out on the right, to say what to fix.
WIDEST = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(-4).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 30))"""


def check_page(page, url: str, problems: dict, sizes: dict, label: str = "") -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    path = label or "/" + url.split("//", 1)[1].split("/", 1)[1]
    total, parts = page_weight(page)
    sizes[path] = (total, {u.split("/", 3)[-1] or "(page)": n for u, n in parts.items()})
    found = axe_serious(page)
    if not fits_width_at_text_200(page, PHONE["width"]):
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        wide = page.evaluate(WIDEST)
        page.evaluate("document.documentElement.style.fontSize = ''")
        found.append(f"scrolls sideways at 200 % text size: {wide}")
    if total > MAX_PAGE_BYTES:
        found.append(f"{total} bytes > 60 KB: {parts}")
    if found:
        problems[path] = found


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_worker_pages_are_accessible_fit_200_percent_text_and_stay_light(live_server, phone_page):
    page = phone_page
    tree = make_tree()
    program = make_program(tree["city"], contact="市总工会：0531-12345678")
    make_program(tree["city"], name="下一批方案", open_now=False)
    problems: dict[str, list[str]] = {}
    sizes: dict[str, int] = {}
    base = live_server.url

    for path in ("/", "/help/", "/register/", "/login/", "/login/sms/", "/password/reset/"):
        check_page(page, base + path, problems, sizes)

    worker = make_worker(tree["shop"])
    app = application_create_draft(worker=worker, program=program, data=app_data(), actor=worker.user)
    for kind, name, data in (("form", "a.jpg", jpeg_bytes((800, 600))), ("chsi", "r.pdf", pdf_bytes())):
        attachment_upload(application=app, kind=kind, uploaded_file=upload(name, data), actor=worker.user)
    sign_in(page, live_server, worker.user)
    check_page(page, base + "/", problems, sizes, label="/ (signed in)")
    for path in (
        "/profile/",
        f"/programs/{program.pk}/apply/",
        f"/applications/{app.pk}/edit/",
        f"/applications/{app.pk}/submit/",  # the check page, with a missing paper
    ):
        check_page(page, base + path, problems, sizes)
    attachment_upload(application=app, kind="id_front", uploaded_file=upload("i.jpg", jpeg_bytes()), actor=worker.user)
    application_submit(application=app, actor=worker.user)
    for path in (f"/applications/{app.pk}/", "/messages/", f"/applications/{app.pk}/withdraw/"):
        check_page(page, base + path, problems, sizes)

    for path, found in problems.items():
        print("PROBLEM", path, found)
    print("\nworker page weights (bytes, HTML+CSS+JS+images):")
    for path, (total, parts) in sizes.items():
        print(f"  {path:32} {total:7d}  {parts}")
    assert problems == {}, problems
