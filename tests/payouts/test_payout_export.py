"""Payout lists: one per source × payer × batch, totals equal the awards, the XLSX file is
exact (text numbers, numeric amounts, no formulas), and only the right roles get it."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from payouts.models import Award, PayoutLine, PayoutList, PayoutListStatus
from payouts.payout.export import payout_list_export
from payouts.payout.services import payout_list_build, payout_lists_build_for_batch
from quotas.models import AuditLog

from .conftest import publish_and_end, staff
from .xlsx_read import data_rows, read_sheet, sheet_xml, sign_off_row

pytestmark = pytest.mark.django_db


def _file_bytes(payout_list: PayoutList) -> bytes:
    payout_list.refresh_from_db()
    with payout_list.file.open("rb") as f:
        return f.read()


def test_one_list_per_source_and_payer_with_totals_equal_to_awards(scenario, city_finance):
    publish_and_end(scenario, city_finance)
    lists = payout_lists_build_for_batch(program=scenario.program, batch=scenario.batch, actor=city_finance)
    keyed = {(pl.source.name, pl.payer_name): pl for pl in lists}
    assert set(keyed) == {
        ("省级补助", "济南市总工会"),
        ("市级补助", "济南市总工会"),
        ("县区配套补助", "历下区总工会"),
        ("县区配套补助", "市中区总工会"),
        ("高校补助", "咸安某大学"),
    }
    for pl in lists:
        awards = Award.objects.filter(source=pl.source, batch=scenario.batch)
        if pl.payer_union_id and pl.source == scenario.matching:
            awards = awards.filter(payer_union=pl.payer_union)
        assert pl.row_count == awards.count() == pl.lines.count()
        assert (
            pl.total_yuan == sum(a.amount_yuan for a in awards) == sum(pl.lines.values_list("amount_yuan", flat=True))
        )
        # Nobody twice for one source.
        assert len(set(pl.lines.values_list("award__application__worker", flat=True))) == pl.row_count
    lixia = keyed[("县区配套补助", "历下区总工会")]
    assert {ln.award.payer_union for ln in lixia.lines.all()} == {scenario.counties[0]}
    # Building again finds nothing new; a second line for an award is refused by the database.
    with pytest.raises(ValidationError):
        payout_list_build(
            program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
        )
    line = keyed[("市级补助", "济南市总工会")].lines.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutLine.objects.create(
            payout_list=line.payout_list,
            award=line.award,
            sequence=999,
            name=line.name,
            id_number_encrypted=line.id_number_encrypted,
            id_number_masked="x",
            bank_name="x",
            bank_card_encrypted=line.bank_card_encrypted,
            bank_card_hmac="x",
            bank_card_masked="x",
            amount_yuan=1,
            unit_name="x",
        )


def test_matching_list_needs_its_county(scenario, city_finance):
    publish_and_end(scenario, city_finance)
    with pytest.raises(ValidationError, match="县区总工会"):
        payout_list_build(program=scenario.program, source=scenario.matching, batch=scenario.batch, actor=city_finance)


def test_export_is_exact_text_numbers_no_formulas_and_styled(scenario, city_finance):
    publish_and_end(scenario, city_finance)
    pl = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    exported = payout_list_export(payout_list_id=pl.pk, actor_id=city_finance.pk)
    assert exported.status == PayoutListStatus.EXPORTED and exported.export_progress == 100
    assert exported.file.name.startswith("private/payouts/") and exported.file.name.endswith(".xlsx")
    content = _file_bytes(pl)
    ws = read_sheet(content)

    assert ws["A1"].value == "2024年济南市一线职工求学圆梦行动补助发放名单（市级补助·第一批）"
    assert "A1:J1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == [
        "序号",
        "姓名",
        "身份证号码",
        "银行卡号",
        "开户银行",
        "补助金额（元）",
        "工作单位",
        "项目",
        "批次",
        "备注",
    ]
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["C"].width >= 20 and ws.column_dimensions["D"].width >= 20
    assert ws["C3"].border.left.style == "thin"

    rows = data_rows(ws)
    assert len(rows) == len(scenario.applications)
    by_name = {r[1]: r for r in rows}
    for app in scenario.applications:
        id_number, card = scenario.numbers[app.pk]
        row = by_name[app.worker.name]
        assert row[2] == id_number and isinstance(row[2], str) and row[2].endswith("X") and len(row[2]) == 18
        assert row[3] == card and isinstance(row[3], str) and len(row[3]) == 19
        assert row[6] == app.worker.employer
        assert row[7] == scenario.program.name and row[8] == "第一批"
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert all(isinstance(r[5], int) for r in rows)
    totals = next(ws.iter_rows(min_row=len(rows) + 3, values_only=True))
    assert totals[0] == "合计" and totals[5] == sum(r[5] for r in rows) == pl.total_yuan == 5000
    # Below the table, after one empty row, the sign-off line of the unions' own forms;
    # the 序号 column stays empty there, so a bank return read by 序号 skips it.
    assert ws.max_row == len(rows) + 5
    assert all(v is None for v in next(ws.iter_rows(min_row=ws.max_row - 1, values_only=True)))
    assert sign_off_row(ws) == ["制表人：", "审核人：", "负责人：", "日期：　　年　　月　　日"]
    assert ws.cell(row=ws.max_row, column=1).value is None
    # Ready to print: A4 landscape, one page wide, title and header on every page, the
    # programme, batch and source at the top of each page, page numbers at the bottom.
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert (
        ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    )
    assert ws.print_title_rows == "$1:$2"
    assert ws.oddHeader.center.text == f"{scenario.program.name}　第一批　{scenario.city_money.name}"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text

    # User text that looks like a formula is a plain string cell, never a formula.
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            assert cell.data_type != "f"
    evil = next(r for r in ws.iter_rows(min_row=3) if str(r[1].value).startswith("=HYPERLINK"))
    assert evil[1].data_type == "s" and evil[1].quotePrefix
    plus = next(r for r in ws.iter_rows(min_row=3) if str(r[6].value).startswith("+cmd"))
    assert plus[6].data_type == "s" and plus[6].quotePrefix
    xml = sheet_xml(content)
    assert "<f>" not in xml and "<f " not in xml
    # The sheet says its size (title, header, 5 lines, 合计, blank, sign-off), one page wide.
    assert '<dimension ref="A1:J10"/>' in xml and '<pageSetUpPr fitToPage="1"/>' in xml
    assert AuditLog.objects.filter(action="payout_list.export", object_id=str(pl.pk)).exists()


def test_exporting_twice_gives_the_same_lines(scenario, city_finance):
    publish_and_end(scenario, city_finance)
    pl = payout_list_build(program=scenario.program, source=scenario.province, batch=scenario.batch, actor=city_finance)
    payout_list_export(payout_list_id=pl.pk, actor_id=city_finance.pk)
    first_name = PayoutList.objects.get(pk=pl.pk).file.name
    first = data_rows(read_sheet(_file_bytes(pl)))
    # The worker edits the profile between exports: the frozen list does not move.
    worker = scenario.applications[0].worker
    worker.employer = "新单位"
    worker.save(update_fields=["employer"])
    payout_list_export(payout_list_id=pl.pk, actor_id=city_finance.pk)
    second = data_rows(read_sheet(_file_bytes(pl)))
    assert first == second
    assert PayoutList.objects.get(pk=pl.pk).file.name != first_name


def test_only_allowed_roles_download_full_numbers(scenario, city_finance, city_reviewer, county_finance, client):
    publish_and_end(scenario, city_finance)
    lists = {
        (pl.source_id, pl.payer_union_id): pl
        for pl in payout_lists_build_for_batch(program=scenario.program, batch=scenario.batch, actor=city_finance)
    }
    city_list = lists[(scenario.city_money.pk, scenario.city.pk)]
    lixia_list = lists[(scenario.matching.pk, scenario.counties[0].pk)]
    shizhong_list = lists[(scenario.matching.pk, scenario.counties[1].pk)]
    for pl in (city_list, lixia_list, shizhong_list):
        payout_list_export(payout_list_id=pl.pk, actor_id=city_finance.pk)

    def download(user, pl):
        client.force_login(user)
        return client.get(reverse("payouts:payout_download", args=[pl.pk]))

    def refused(user, pl) -> bool:
        # Back on the list's page, told why; no file.
        response = download(user, pl)
        if response.status_code != 302:
            return False
        page = client.get(response.url).content.decode()
        return "可以导出含完整证件号的发放名单" in page

    assert refused(city_reviewer, city_list)
    assert download(county_finance, city_list).status_code == 404  # not even visible
    assert download(county_finance, shizhong_list).status_code == 404
    outsider = staff(scenario.grassroots[0], "manager", "grassroots-manager")
    assert download(outsider, lixia_list).status_code == 404
    lixia_reviewer = staff(scenario.counties[0], "reviewer", "lixia-reviewer")
    assert refused(lixia_reviewer, lixia_list)
    worker_user = scenario.applications[0].worker.user
    assert download(worker_user, lixia_list).status_code == 302  # to the admin login

    ok = download(county_finance, lixia_list)
    assert ok.status_code == 200 and "attachment" in ok["Content-Disposition"]
    rows = data_rows(read_sheet(b"".join(ok.streaming_content)))
    assert len(rows) == lixia_list.row_count
    assert download(city_finance, city_list).status_code == 200
    assert AuditLog.objects.filter(action="payout_list.download", actor=county_finance).count() == 1
    assert AuditLog.objects.filter(action="payout_list.download", actor=city_finance).count() == 1

    client.force_login(city_reviewer)
    status = client.get(reverse("payouts:payout_export_status", args=[city_list.pk]))
    assert status.status_code == 403
    client.force_login(city_finance)
    status = client.get(reverse("payouts:payout_export_status", args=[city_list.pk])).json()
    assert status["status"] == "done" and status["progress"] == 100 and status["download_url"]


def test_admin_pages_render_masked(scenario, city_finance, client):
    publish_and_end(scenario, city_finance)
    pl = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    client.force_login(city_finance)
    page = client.get(reverse("admin:payouts_payoutlist_change", args=[pl.pk])).content.decode()
    assert "payouts/payout.js" in page and "生成导出文件" in page
    lines = client.get(reverse("admin:payouts_payoutline_changelist") + f"?payout_list__id__exact={pl.pk}")
    html = lines.content.decode()
    assert lines.status_code == 200
    for id_number, card in scenario.numbers.values():
        assert id_number not in html and card not in html
    assert client.get(reverse("admin:payouts_payoutlist_changelist")).status_code == 200
    assert client.get(reverse("admin:payouts_publicity_changelist")).status_code == 200
