"""Bank return: paid lines close applications, failed lines go back to the worker, and
the reissue list carries only the failed workers who have changed their card."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from applications.changes import worker_change_confirm
from applications.models import ApplicationEvent, ApplicationStatus, Notification
from applications.services import ProfileData, worker_profile_save
from payouts.models import Award, AwardStatus, PayoutLineStatus, PayoutListStatus
from payouts.payout.bank_return import bank_return_import
from payouts.payout.export import payout_list_export
from payouts.payout.selectors import payout_lists_visible_to, payout_reconciliation
from payouts.payout.services import payout_list_build, payout_lists_build_for_batch, payout_reissue_build

from .conftest import luhn_complete, publish_and_end
from .xlsx_read import data_rows, read_sheet, sign_off_row

pytestmark = pytest.mark.django_db


def _exported(pl, actor) -> bytes:
    pl = payout_list_export(payout_list_id=pl.pk, actor_id=actor.pk)
    with pl.file.open("rb") as f:
        return f.read()


def _bank_return_xlsx(content: bytes, results: dict[int, tuple[str, str]]) -> bytes:
    """The bank's return: the exported list with 发放结果 and 失败原因 filled in."""
    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    ws.cell(row=2, column=10, value="发放结果")
    ws.cell(row=2, column=11, value="失败原因")
    for row in ws.iter_rows(min_row=3):
        seq = row[0].value
        if isinstance(seq, int) and seq in results:
            ws.cell(row=row[0].row, column=10, value=results[seq][0])
            ws.cell(row=row[0].row, column=11, value=results[seq][1])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_failures_produce_the_right_reissue_list(scenario, city_finance):
    publish_and_end(scenario, city_finance)
    pl = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    content = _exported(pl, city_finance)
    lines = {ln.sequence: ln for ln in pl.lines.select_related("award__application__worker")}
    results = {
        1: ("成功", ""),
        2: ("失败", "户名与账号不符"),
        3: ("成功", ""),
        4: ("失败", "账户已销户"),
        5: ("成功", ""),
    }
    counts = bank_return_import(
        payout_list=pl, name="return.xlsx", content=_bank_return_xlsx(content, results), actor=city_finance
    )
    assert counts == {"paid": 3, "failed": 2, "void": 0}
    pl.refresh_from_db()
    assert pl.status == PayoutListStatus.CLOSED
    failed = [lines[2], lines[4]]
    for ln in failed:
        ln.refresh_from_db()
        assert ln.status == PayoutLineStatus.FAILED
        assert Award.objects.get(pk=ln.award_id).status == AwardStatus.FAILED
        # On the worker's timeline, with its message (and so its SMS through the outbox).
        event = ApplicationEvent.objects.get(application=ln.award.application, action="payment_failed")
        assert "发放失败" in event.detail["label"] and ln.bank_message in event.reason
        note = Notification.objects.get(event=event)
        assert note.user == ln.award.application.worker.user
        assert "发放失败" in note.title and ln.bank_message in note.body
    assert lines[2].bank_message == "户名与账号不符"
    assert Award.objects.get(pk=lines[1].award_id).status == AwardStatus.PAID
    paid_step = ApplicationEvent.objects.get(application=lines[1].award.application, action="payment_paid")
    assert paid_step.detail["label"] == "市级补助 1000元已发放"

    # Importing the same return again changes nothing.
    assert bank_return_import(
        payout_list=pl, name="return.xlsx", content=_bank_return_xlsx(content, results), actor=city_finance
    ) == {"paid": 0, "failed": 0, "void": 0}

    # Nobody has fixed the card yet: no reissue list.
    with pytest.raises(ValidationError, match="尚未更新收款账户"):
        payout_reissue_build(payout_list=pl, actor=city_finance)

    # One of the two workers updates the card through the profile service. The money is
    # approved, so the new card waits for review: no reissue to an unconfirmed card.
    fixer = lines[4].award.application.worker
    new_card = luhn_complete("621700123456789012")
    worker_profile_save(
        user=fixer.user,
        data=ProfileData(
            name=fixer.name, employer=fixer.employer, union=fixer.union, bank_name="中国建设银行", bank_card=new_card
        ),
    )
    with pytest.raises(ValidationError, match="尚未更新收款账户"):
        payout_reissue_build(payout_list=pl, actor=city_finance)
    # The programme owner's finance confirms it (having called the worker).
    worker_change_confirm(change=fixer.changes.get(status="pending"), actor=city_finance, note="已电话核实")
    (reissue,) = payout_reissue_build(payout_list=pl, actor=city_finance)
    assert reissue.reissue_of == pl and reissue.row_count == 1 and reissue.total_yuan == 1000
    assert "补发" in reissue.title
    line = reissue.lines.get()
    assert line.award_id == lines[4].award_id and line.bank_name == "中国建设银行"
    rows = data_rows(read_sheet(_exported(reissue, city_finance)))
    assert len(rows) == 1 and rows[0][3] == new_card and rows[0][1] == fixer.name
    # The other failed worker still waits; building again finds no one new.
    with pytest.raises(ValidationError):
        payout_reissue_build(payout_list=pl, actor=city_finance)

    recon = {(r.source, r.payer): r for r in payout_reconciliation(lists=payout_lists_visible_to(city_finance))}
    row = recon[("市级补助", "济南市总工会")]
    assert row.counts == {"paid": 3, "failed": 1, "pending": 1, "reissued": 1, "void": 0}
    assert row.sums == {"paid": 3000, "failed": 1000, "pending": 1000, "reissued": 1000, "void": 0}


def test_application_is_marked_paid_when_all_its_awards_are_paid(scenario, city_finance):
    publish_and_end(scenario, city_finance)
    lists = payout_lists_build_for_batch(program=scenario.program, batch=scenario.batch, actor=city_finance)
    app = scenario.applications[0]
    for i, pl in enumerate(lists):
        content = _exported(pl, city_finance)
        results = {ln.sequence: ("成功", "") for ln in pl.lines.all()}
        app.refresh_from_db()
        assert app.status == ApplicationStatus.APPROVED  # not before the last source is paid
        bank_return_import(
            payout_list=pl, name=f"r{i}.xlsx", content=_bank_return_xlsx(content, results), actor=city_finance
        )
    app.refresh_from_db()
    assert app.status == ApplicationStatus.PAID
    event = ApplicationEvent.objects.get(application=app, action="mark_paid")
    assert event.from_status == ApplicationStatus.APPROVED and event.to_status == ApplicationStatus.PAID
    assert set(Award.objects.filter(application=app).values_list("status", flat=True)) == {AwardStatus.PAID}


def test_a_mismatched_return_writes_nothing(scenario, city_finance):
    publish_and_end(scenario, city_finance)
    pl = payout_list_build(program=scenario.program, source=scenario.province, batch=scenario.batch, actor=city_finance)
    content = _exported(pl, city_finance)
    wb = load_workbook(io.BytesIO(_bank_return_xlsx(content, {1: ("成功", ""), 2: ("失败", "x")})))
    ws = wb.active
    ws["D4"] = "6222000000000000000"  # line 2's card altered: a shifted or foreign file
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ValidationError, match="第4行"):
        bank_return_import(payout_list=pl, name="bad.xlsx", content=out.getvalue(), actor=city_finance)
    assert set(pl.lines.values_list("status", flat=True)) == {PayoutLineStatus.PENDING}
    assert not Award.objects.filter(status__in=[AwardStatus.PAID, AwardStatus.FAILED]).exists()


def test_csv_return_through_the_view(scenario, city_finance, client):
    publish_and_end(scenario, city_finance)
    pl = payout_list_build(
        program=scenario.program, source=scenario.university, batch=scenario.batch, actor=city_finance
    )
    assert pl.payer_name == "咸安某大学" and pl.payer_union is None
    lines = list(pl.lines.order_by("sequence"))
    from qiuxue.crypto import decrypt_text

    csv_text = "序号,姓名,身份证号码,发放结果,失败原因\n" + "".join(
        f"{ln.sequence},{ln.name.replace(',', '')},{decrypt_text(ln.id_number_encrypted)},{'失败' if ln.sequence == 1 else '成功'},{'账户冻结' if ln.sequence == 1 else ''}\n"
        for ln in lines
    )
    client.force_login(city_finance)
    url = reverse("payouts:payout_bank_return", args=[pl.pk])
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("return.csv", csv_text.encode("gb18030"), content_type="text/csv")
    response = client.post(url, {"file": upload})
    assert response.status_code == 302
    assert pl.lines.get(sequence=1).status == PayoutLineStatus.FAILED
    assert pl.lines.filter(status=PayoutLineStatus.PAID).count() == len(lines) - 1

    recon = client.get(reverse("payouts:payout_reconciliation", args=[scenario.program.pk]))
    assert recon.status_code == 200 and "咸安某大学" in recon.content.decode()
    xlsx = client.get(reverse("payouts:payout_reconciliation", args=[scenario.program.pk]) + "?format=xlsx")
    ws = read_sheet(xlsx.content)
    row = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[1] == "咸安某大学")
    assert row[2:6] == (len(lines) - 1, (len(lines) - 1) * 1000, 1, 1000)
    # Ready to print and sign, like the payout list (qiuxue.tables.stream).
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$1:$2" and ws.oddHeader.center.text == scenario.program.name
    assert "&P" in ws.oddFooter.center.text and sign_off_row(ws)[0] == "制表人："


def test_a_bank_return_typed_in_full_width_digits_matches_the_ascii_list(scenario, city_finance):
    """Numbers are ASCII (issue 11, case 8): the list carries ASCII numbers; a return whose
    card numbers come back in full-width digits still matches line by line."""
    from qiuxue.crypto import decrypt_text

    publish_and_end(scenario, city_finance)
    pl = payout_list_build(program=scenario.program, source=scenario.province, batch=scenario.batch, actor=city_finance)
    lines = list(pl.lines.order_by("sequence"))
    assert all(decrypt_text(ln.bank_card_encrypted).isascii() for ln in lines)
    wide = {ord(c): ord(c) + 0xFEE0 for c in "0123456789"}
    csv_text = "序号,姓名,银行卡号,发放结果\n" + "".join(
        f"{ln.sequence},x,{decrypt_text(ln.bank_card_encrypted).translate(wide)},成功\n" for ln in lines
    )
    counts = bank_return_import(payout_list=pl, name="return.csv", content=csv_text.encode(), actor=city_finance)
    assert counts == {"paid": len(lines), "failed": 0, "void": 0}


def test_the_sign_off_line_below_the_list_is_never_read_as_a_row(scenario, city_finance):
    """Our list ends with 制表人/审核人/负责人/日期; a bank clerk may sign it and move the
    text into the 序号 column. Nothing from that line on is a payment result."""
    publish_and_end(scenario, city_finance)
    pl = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    content = _bank_return_xlsx(_exported(pl, city_finance), dict.fromkeys(range(1, 6), ("成功", "")))
    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    assert any(str(v or "").startswith("制表人") for v in next(ws.iter_rows(min_row=ws.max_row, values_only=True)))
    ws.cell(row=ws.max_row, column=1, value="制表人：王会计")
    ws.cell(row=ws.max_row, column=10, value="成功")
    out = io.BytesIO()
    wb.save(out)
    counts = bank_return_import(payout_list=pl, name="return.xlsx", content=out.getvalue(), actor=city_finance)
    assert counts == {"paid": 5, "failed": 0, "void": 0}
