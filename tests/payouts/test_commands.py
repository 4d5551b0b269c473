"""Every staff step of the publicity and payout stage from the shell: the same services as
the pages, what they did printed, the same Chinese refusals (issue 12)."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from payouts.models import AwardStatus, PayoutLineStatus, PayoutList, Publicity, PublicityStatus
from quotas.models import AuditLog

from .test_bank_return import _bank_return_xlsx
from .xlsx_read import data_rows, read_sheet

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_year_from_the_shell(scenario, tmp_path):
    sc = scenario
    printed = run("publicity_open", "--program", "jinan-2024", "--batch", "1")
    assert "已发布：2024年济南市一线职工求学圆梦行动拟补助人员名单公示（第一批）" in printed and "5人" in printed
    with pytest.raises(CommandError, match="结束前不能发放"):
        run("payout_lists_build", "--program", "jinan-2024", "--batch", "1")

    Publicity.objects.update(
        ends_at=timezone.now() - timedelta(minutes=1), starts_at=timezone.now() - timedelta(days=8)
    )
    assert "已结束 1 个到期公示" in run("publicity_close_due")
    assert Publicity.objects.get().status == PublicityStatus.CLOSED
    assert "已结束 0 个到期公示" in run("publicity_close_due")  # idempotent

    printed = run("payout_lists_build", "--program", "jinan-2024", "--batch", "1")
    assert "共生成 5 份发放名单" in printed  # province, city, two counties' matching, the university
    city_list = PayoutList.objects.get(source=sc.city_money)
    assert f"#{city_list.pk} " in printed and "5人，5000元" in printed

    out = tmp_path / "city.xlsx"
    assert "已导出" in run("payout_list_export", "--list", str(city_list.pk), "--out", str(out))
    rows = data_rows(read_sheet(out.read_bytes()))
    assert len(rows) == 5 and sum(r[5] for r in rows) == 5000
    assert AuditLog.objects.filter(action="payout_list.export", object_id=str(city_list.pk)).exists()

    back = tmp_path / "return.xlsx"
    back.write_bytes(_bank_return_xlsx(out.read_bytes(), dict.fromkeys(range(1, 6), ("成功", ""))))
    printed = run("bank_return_import", "--list", str(city_list.pk), str(back))
    assert "成功 5 笔，失败 0 笔" in printed
    assert set(city_list.lines.values_list("status", flat=True)) == {PayoutLineStatus.PAID}
    assert set(city_list.lines.values_list("award__status", flat=True)) == {AwardStatus.PAID}


def test_refusals_are_the_pages_words(scenario, tmp_path):
    with pytest.raises(CommandError, match="找不到实施方案：nowhere"):
        run("publicity_open", "--program", "nowhere")
    with pytest.raises(CommandError, match="没有第7批"):
        run("payout_lists_build", "--program", "jinan-2024", "--batch", "7")
    run("publicity_open", "--program", "jinan-2024", "--batch", "1")
    with pytest.raises(CommandError, match="该批次没有待公示的拟补助名单"):
        run("publicity_open", "--program", "jinan-2024", "--batch", "1")
    with pytest.raises(CommandError, match="找不到发放名单"):
        run("payout_list_export", "--list", "999999", "--out", str(tmp_path / "x.xlsx"))
