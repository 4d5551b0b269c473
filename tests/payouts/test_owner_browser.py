"""In a real browser at 1366×768 (issue 12): Xian'an's district manager, on the demo's
Xian'an data, goes from approved applications to an exported payout list on the pages —
the allocation run page, the 公示, the build page, the export and its download."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from applications.demo import demo_workers_load
from payouts.models import AllocationRun, ExportStatus, PayoutList, Publicity
from quotas.demo import load_quota_demo
from quotas.models import Program
from tests.browser import sign_in

from .conftest import end_period

ARTIFACTS = Path(__file__).parent.parent / "applications" / "artifacts"
WIDTH = 1366


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_xianan_district_runs_allocation_publicity_and_exports_a_list(live_server, desk_page):
    from playwright.sync_api import expect

    load_quota_demo()
    demo_workers_load()
    program = Program.objects.get(slug="xianan-2026")
    manager = get_user_model().objects.get(username="xianan_district")
    ARTIFACTS.mkdir(exist_ok=True)
    page = desk_page
    sign_in(page, live_server, manager)

    # 1. The allocation: offered on the runs list, run for real (not a dry run).
    page.goto(f"{live_server.url}/admin/payouts/allocationrun/")
    page.click(f"text=运行分配：{program.name}")
    expect(page.locator("h1")).to_contain_text(program.name)
    page.uncheck("input[name=dry_run]")
    _fits(page)
    page.click("button[type=submit]")
    expect(page.locator("body")).to_contain_text("分配完成")
    assert AllocationRun.objects.get(program=program, dry_run=False).status == AllocationRun.Status.DONE
    page.screenshot(path=str(ARTIFACTS / "xianan-allocation.png"), full_page=True)

    # 2. The 公示.
    page.goto(f"{live_server.url}/admin/payouts/publicity/")
    page.click("text=发布公示")
    page.select_option("select[name=program]", label=program.name)
    page.select_option("select[name=batch]", index=1)
    _fits(page)
    page.click("input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("已发布公示")
    end_period(Publicity.objects.get(program=program))  # the 7 days have run

    # 3. The payout lists.
    page.goto(f"{live_server.url}/admin/payouts/payoutlist/")
    page.click("text=生成发放名单")
    page.select_option("select[name=program]", label=program.name)
    page.select_option("select[name=batch]", index=1)
    page.click("input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("份发放名单")
    union_list = PayoutList.objects.get(program=program, source__name="区总工会助学金")

    # 4. The export, and its download.
    page.goto(f"{live_server.url}/admin/payouts/payoutlist/{union_list.pk}/change/")
    button = page.locator("button[form=payout-export-form]")
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= WIDTH
    button.click()
    link = page.locator(".payout-download")
    expect(link).to_be_visible(timeout=20000)
    _fits(page)
    page.screenshot(path=str(ARTIFACTS / "xianan-export.png"), full_page=True)
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"{union_list.title}.xlsx"
    assert Path(download.path()).stat().st_size > 0
    union_list.refresh_from_db()
    assert union_list.export_status == ExportStatus.DONE and union_list.row_count >= 6
