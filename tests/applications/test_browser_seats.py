"""额满即止 said before, on a phone: the submit page of a full programme says where the
submission would queue, within the 390-pixel width."""

import pytest
from playwright.sync_api import expect

from applications.services import application_submit
from quotas.models import AllocationMode
from tests.browser import PHONE, fits_width, sign_in

from .factories import make_program, make_ready_application, make_tree, make_worker


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_full_programme_notice_on_the_phone(live_server, phone_page):
    tree = make_tree()
    program = make_program(tree["city"], mode=AllocationMode.AT_SUBMISSION, slots=1)
    for _ in range(2):
        worker = make_worker(tree["shop"])
        application_submit(application=make_ready_application(worker, program), actor=worker.user)
    worker = make_worker(tree["shop"])
    draft = make_ready_application(worker, program)
    sign_in(phone_page, live_server, worker.user)
    phone_page.goto(f"{live_server.url}/applications/{draft.pk}/submit/")
    notice = phone_page.locator("#seat-full-notice")
    expect(notice).to_have_text("名额已满，现在提交将进入候补第2位。")
    expect(notice).to_be_in_viewport()
    assert fits_width(phone_page, PHONE["width"])
    phone_page.click("button:has-text('确认提交')")
    expect(phone_page.locator("body")).to_contain_text("候补")
    draft.refresh_from_db()
    assert (draft.seat_status, draft.seat_rank) == ("waitlisted", 2)
