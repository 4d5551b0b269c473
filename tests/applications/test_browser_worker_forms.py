"""Each worker form of each demo programme, filled in a phone-sized Chromium: what the
worker typed is what is saved, and a mistake is shown next to its field, in Chinese."""

from datetime import date

import pytest
from playwright.sync_api import expect

from applications.models import Application
from quotas.demo import load_quota_demo
from quotas.models import Union, UnionLevel
from quotas.stages import program_is_staged
from tests.browser import sign_in

from .factories import make_worker

DEMO_SLUGS = ["xianan-2026", "jinan-2024", "linyi-2022", "conghua-2023"]


def _grassroots_of(program) -> Union:
    return (
        Union.objects.filter(path__startswith=program.owner_union.path, level=UnionLevel.GRASSROOTS)
        .order_by("path")
        .first()
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_apply_and_edit_forms_of_every_demo_programme(live_server, phone_page):
    page = phone_page
    demo = load_quota_demo()
    for slug in DEMO_SLUGS:
        program = demo.programs[slug]
        worker = make_worker(_grassroots_of(program))
        page.context.clear_cookies()
        sign_in(page, live_server, worker.user)
        year = program.year

        page.goto(f"{live_server.url}/programs/{program.pk}/apply/")
        catalogue = page.locator("#id_entry").count() == 1
        if catalogue:
            page.select_option("#id_entry", index=1)
            entry = page.locator("#id_entry option").nth(1).inner_text()
        else:
            page.select_option("#id_level", index=1)
            page.fill("#id_school", "山东开放大学")
            page.fill("#id_major", "机电一体化技术")
        staged = program_is_staged(program)
        if staged:
            # Xian'an's spring stage (申请助学) asks for no enrolment facts: they exist in
            # December (stage 2, ``test_browser_stages.py``).
            assert page.locator("#id_enrolled_on").count() == 0, slug
        else:
            page.fill("#id_enrolled_on", f"{year}-03-01")
            page.fill("#id_chsi_code", "A1B2C3D4E5F6G7H8")
            page.fill("#id_chsi_expires_on", f"{year + 1}-10-01")
        page.click("button:has-text('保存并继续')")
        expect(page.locator("h2", has_text="申请材料")).to_be_visible()
        app = Application.objects.get(worker=worker, program=program)
        if catalogue:
            assert app.school in entry and app.major in entry, slug
        if staged:
            # A different entry of the catalogue, saved: the edit is kept.
            page.select_option("#id_entry", index=2)
            entry = page.locator("#id_entry option").nth(2).inner_text()
            page.click("button:has-text('保存修改')")
            expect(page.locator(".msg.success")).to_contain_text("申请信息已保存")
            app.refresh_from_db()
            assert app.school in entry and app.major in entry, slug
            continue
        assert app.enrolled_on == date(year, 3, 1), slug

        # The fix a returned worker makes: a new enrolment date and report, saved.
        page.fill("#id_enrolled_on", f"{year}-09-01")
        page.fill("#id_chsi_code", "Z9Y8X7W6V5U4T3S2")
        page.fill("#id_chsi_expires_on", f"{year + 1}-12-31")
        page.click("button:has-text('保存修改')")
        expect(page.locator(".msg.success")).to_contain_text("申请信息已保存")
        app.refresh_from_db()
        assert (app.enrolled_on, app.chsi_code, app.chsi_expires_on) == (
            date(year, 9, 1),
            "Z9Y8X7W6V5U4T3S2",
            date(year + 1, 12, 31),
        ), slug

        # A mistake: said next to the field it belongs to, and nothing is saved.
        page.fill("#id_enrolled_on", "")
        page.fill("#id_chsi_code", "")
        page.click("button:has-text('保存修改')")
        expect(page.locator(".field.has-error", has=page.locator("#id_enrolled_on"))).to_contain_text("必填")
        expect(page.locator(".field.has-error", has=page.locator("#id_chsi_code"))).to_contain_text("必填")
        expect(page.locator("#form-errors-summary")).to_be_visible()
        page.screenshot(path=f"tests/applications/artifacts/forms-{slug}-error.png", full_page=True)
        app.refresh_from_db()
        assert app.enrolled_on == date(year, 9, 1), slug
