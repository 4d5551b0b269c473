"""The quota transfer page in a real browser at 1366×768: from the quota list to a done move."""

import pytest

from quotas.models import AuditLog, Quota
from quotas.quota_tables import quota_table_import, quota_table_preview, quota_table_read
from tests.browser import sign_in

from .conftest import make_admin
from .helpers import xlsx_bytes


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_city_manager_moves_places_on_the_transfer_page(live_server, desk_page, small_city):
    source = small_city["source"]
    rows = [(1, "甲区总工会", 40), (2, "乙县总工会", 10), (3, "全市调剂名额", 10)]
    table = quota_table_read(data=xlsx_bytes(rows), filename="t.xlsx")
    quota_table_import(source=source, rows=quota_table_preview(source=source, table=table).rows, actor=None)
    manager = make_admin("city_mgr", small_city["city"])
    pool = Quota.objects.get(source=source, is_pool=True)
    b_row = Quota.objects.get(source=source, union=small_city["b"])
    page = desk_page
    sign_in(page, live_server, manager)
    page.goto(f"{live_server.url}/admin/quotas/quota/?source__id__exact={source.pk}")
    link = page.locator("#quota-transfer-link")
    assert link.is_visible()
    link.click()
    page.wait_for_selector("#quota-transfer-rows")
    assert "名额调剂" in page.title()
    page.select_option("select[name=from_quota]", str(pool.pk))
    page.select_option("select[name=to_quota]", str(b_row.pk))
    page.fill("input[name=slots]", "4")
    # The submit button is on screen at this size without scrolling sideways.
    button = page.locator("input[type=submit].default")
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1366
    page.fill("textarea[name=reason]", "乙县申请人数多")
    button.click()
    page.wait_for_selector(".messagelist")
    assert "已从「全市调剂名额」调出 4 个名额到「乙县总工会」" in page.inner_text(".messagelist")
    assert [Quota.objects.get(pk=q.pk).slots for q in (pool, b_row)] == [6, 14]
    assert AuditLog.objects.get(action="quota.transfer").detail["reason"] == "乙县申请人数多"
