"""In a real browser at 1366×768 (issue 12, the universities of Xian'an): on the demo's
Xian'an data, a university reviewer (``xnzy_reviewer``) approves its student waiting at the
university step; the district (``xianan_district``) runs the allocation and the 公示; that
university's finance (``xnzy_finance``) builds its own list, exports and downloads it; the
district sees it among all the lists."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore

from applications.demo import demo_workers_load
from applications.models import Application, ApplicationStatus
from payouts.models import AllocationRun, ExportStatus, PayoutList, Publicity
from quotas.demo import load_quota_demo
from quotas.models import Program
from tests.conftest import staff_session_verify

from .conftest import end_period

ARTIFACTS = Path(__file__).parent.parent / "applications" / "artifacts"
WIDTH = 1366
UNIVERSITY = "咸宁职业技术学院"


def _session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    staff_session_verify(session, user)  # staff pages need the second factor
    session.save()
    return session.session_key


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_university_reviews_its_student_and_its_finance_exports_its_list(live_server, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync ORM set-up beside Playwright's loop
    load_quota_demo()
    demo_workers_load()
    program = Program.objects.get(slug="xianan-2026")
    users = {u.username: u for u in get_user_model().objects.filter(username__startswith="x")}
    waiting = Application.objects.get(
        program=program, cofunder__name=UNIVERSITY, status=ApplicationStatus.IN_REVIEW, current_tier=None
    )
    other = Application.objects.filter(program=program, status=ApplicationStatus.IN_REVIEW, current_tier=None)
    other = other.exclude(cofunder__name=UNIVERSITY).first()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )

        def page_of(username):
            context = browser.new_context(
                viewport={"width": WIDTH, "height": 768}, locale="zh-CN", accept_downloads=True
            )
            cookie = _session_cookie(users[username])
            context.add_cookies(
                [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
            )
            return context.new_page()

        try:
            # 1. The university's reviewer: its queue holds its own student only.
            page = page_of("xnzy_reviewer")
            page.goto(f"{live_server.url}/admin/applications/application/")
            expect(page.locator("#result_list")).to_contain_text(waiting.number)
            assert other is None or other.number not in page.locator("#result_list").inner_text()
            _fits(page)
            page.click(f"text={waiting.number}")
            expect(page.locator("#cofunder-step")).to_contain_text(UNIVERSITY)
            page.click("details.rv-approve summary")
            for box in page.locator("input[name=approve-acknowledged_flags]").all():
                box.check()
            page.fill("textarea[name=approve-reason]", "已核实录取通知书与学信网学籍")
            _fits(page)
            page.click("button.rv-btn-approve")
            expect(page.locator(".messagelist")).to_contain_text("已办理")
            page.screenshot(path=str(ARTIFACTS / "xianan-university-review.png"), full_page=True)
            waiting.refresh_from_db()
            assert waiting.status == ApplicationStatus.APPROVED

            # 2. The district: the allocation and the 公示.
            page = page_of("xianan_district")
            page.goto(f"{live_server.url}/admin/payouts/allocationrun/")
            page.click(f"text=运行分配：{program.name}")
            page.uncheck("input[name=dry_run]")
            page.click("button[type=submit]")
            expect(page.locator("body")).to_contain_text("分配完成")
            assert AllocationRun.objects.get(program=program, dry_run=False).status == AllocationRun.Status.DONE
            page.goto(f"{live_server.url}/admin/payouts/publicity/")
            page.click("text=发布公示")
            page.select_option("select[name=program]", label=program.name)
            page.select_option("select[name=batch]", index=1)
            page.click("input[type=submit]")
            expect(page.locator(".messagelist")).to_contain_text("已发布公示")
            end_period(Publicity.objects.get(program=program))  # the 7 days have run

            # 3. The university's finance: builds its own list, exports and downloads it.
            finance = page_of("xnzy_finance")
            finance.goto(f"{live_server.url}/admin/payouts/payoutlist/")
            finance.click("text=生成发放名单")
            finance.select_option("select[name=program]", label=program.name)
            finance.select_option("select[name=batch]", index=1)
            finance.click("input[type=submit]")
            expect(finance.locator(".messagelist")).to_contain_text("已生成 1 份发放名单")
            own = PayoutList.objects.get(program=program, payer_cofunder__name=UNIVERSITY)
            assert PayoutList.objects.filter(program=program).count() == 1  # its own only
            assert own.lines.filter(award__application=waiting).exists()
            finance.goto(f"{live_server.url}/admin/payouts/payoutlist/{own.pk}/change/")
            finance.locator("button[form=payout-export-form]").click()
            link = finance.locator(".payout-download")
            expect(link).to_be_visible(timeout=20000)
            _fits(finance)
            finance.screenshot(path=str(ARTIFACTS / "xianan-university-export.png"), full_page=True)
            with finance.expect_download() as download_info:
                link.click()
            download = download_info.value
            assert download.suggested_filename == f"{own.title}.xlsx"
            assert Path(download.path()).stat().st_size > 0

            # 4. The district sees the university's list (and builds the rest).
            page.goto(f"{live_server.url}/admin/payouts/payoutlist/")
            expect(page.locator("#result_list")).to_contain_text(UNIVERSITY)
            page.click("text=生成发放名单")
            page.select_option("select[name=program]", label=program.name)
            page.select_option("select[name=batch]", index=1)
            page.click("input[type=submit]")
            expect(page.locator(".messagelist")).to_contain_text("份发放名单")
            page.goto(f"{live_server.url}/admin/payouts/payoutlist/")
            for name in ("荆楚理工学院", "湖北第二师范学院", "咸安区总工会"):
                expect(page.locator("#result_list")).to_contain_text(name)
        finally:
            browser.close()
    own.refresh_from_db()
    assert own.export_status == ExportStatus.DONE and own.row_count >= 2
