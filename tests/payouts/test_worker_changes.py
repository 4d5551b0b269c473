"""Changes after approval are held for review (issue 11, case 2): a new card, name, employer
or union of a worker with approved money does not reach a payout line until staff confirm it.

Built on the miniature Jinan of ``conftest``: five approved applications with published
awards, publicity over, payout lists built through the real services."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications.announcements import Announcement, _listeners, listen
from applications.changes import worker_change_confirm, worker_change_refuse
from applications.models import ApplicationEvent, Notification, Worker, WorkerChange, WorkerChangeStatus
from applications.services import ProfileData, worker_profile_save
from payouts.models import PayoutLine
from payouts.payout.export import payout_list_export
from payouts.payout.selectors import awards_payable
from payouts.payout.services import payout_list_build
from qiuxue.crypto import decrypt_text, encrypt_text, hmac_index
from qiuxue.masking import mask_bank_card
from quotas.models import AdminRole, AuditLog

from .conftest import luhn_complete, publish_and_end, staff
from .xlsx_read import data_rows, read_sheet

pytestmark = pytest.mark.django_db

NEW_CARD = luhn_complete("621700123456789012")


@pytest.fixture
def heard():
    """What applications announced (the payouts listener that voids lines is the lead's)."""
    seen = []

    def record(notice):
        seen.append(notice)

    listen(Announcement.PROFILE_CHANGE_PENDING, record)
    listen(Announcement.PROFILE_CHANGE_DECIDED, record)
    yield seen
    _listeners[Announcement.PROFILE_CHANGE_PENDING].remove(record)
    _listeners[Announcement.PROFILE_CHANGE_DECIDED].remove(record)


def _edit(worker: Worker, **changes) -> Worker:
    """The worker saves the profile form: unchanged fields as they are, card blank = keep."""
    data = {
        "name": worker.name,
        "employer": worker.employer,
        "union": worker.union,
        "bank_name": worker.bank_name,
        "bank_card": "",
        "email": "new@example.org",
        **changes,
    }
    return worker_profile_save(user=worker.user, data=ProfileData(**data))


def _payable(sc, app) -> bool:
    qs = awards_payable(program=sc.program, source=sc.city_money, batch=sc.batch, payer_union=sc.city)
    return qs.filter(application=app).exists()


def _line_of(payout_list, app) -> PayoutLine:
    return payout_list.lines.get(award__application=app)


def test_card_change_after_approval_is_held_then_confirmed_and_the_line_carries_the_new_card(
    scenario, city_finance, heard
):
    publish_and_end(scenario, city_finance)
    app = scenario.applications[0]
    worker = app.worker
    old_card = scenario.numbers[app.pk][1]
    assert _payable(scenario, app)

    _edit(worker, bank_name="中国建设银行", bank_card=NEW_CARD)

    # The row keeps the confirmed card; the rest of the form is saved.
    worker.refresh_from_db()
    assert decrypt_text(worker.bank_card_encrypted) == old_card and worker.bank_name == "中国工商银行济南分行"
    assert worker.email == "new@example.org"
    change = WorkerChange.objects.get(worker=worker, status=WorkerChangeStatus.PENDING)
    assert change.fields == ["bank_name", "bank_card"]
    assert decrypt_text(change.bank_card_encrypted) == NEW_CARD and change.bank_card_hmac == hmac_index(NEW_CARD)
    assert change.before["bank_card"] == mask_bank_card(old_card) and change.after["bank_card"] == mask_bank_card(
        NEW_CARD
    )
    assert [(n.change, n.confirmed) for n in heard] == [(change, None)]
    # Told on the timeline and by message (the outbox sends the SMS to the registered phone).
    step = ApplicationEvent.objects.get(application=app, action="profile_change_pending")
    assert step.detail["label"] == "银行卡变更待核实"
    assert mask_bank_card(old_card) in step.reason and mask_bank_card(NEW_CARD) in step.reason
    note = Notification.objects.get(event=step)
    assert note.user == worker.user and "银行卡变更待核实" in note.title and note.delivered_at is None
    audit = AuditLog.objects.get(action="worker_change.submit")
    assert audit.detail["after"]["bank_card"] == mask_bank_card(NEW_CARD)
    assert NEW_CARD not in str(audit.detail) and old_card not in str(audit.detail)

    # Held: not payable, not on the list built now; the others are.
    assert not _payable(scenario, app)
    first = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    assert first.row_count == len(scenario.applications) - 1
    assert not first.lines.filter(award__application=app).exists()

    worker_change_confirm(change=change, actor=city_finance, note="已电话联系本人核实")

    worker.refresh_from_db()
    assert decrypt_text(worker.bank_card_encrypted) == NEW_CARD and worker.bank_name == "中国建设银行"
    assert worker.bank_card_hmac == hmac_index(NEW_CARD) and worker.bank_card_masked == mask_bank_card(NEW_CARD)
    change.refresh_from_db()
    assert change.status == WorkerChangeStatus.CONFIRMED and change.decided_by == city_finance
    assert heard[-1].confirmed is True
    done = ApplicationEvent.objects.get(application=app, action="profile_change_confirmed")
    assert done.detail["label"] == "银行卡变更已核实生效" and Notification.objects.filter(event=done).exists()
    confirm_audit = AuditLog.objects.get(action="worker_change.confirm")
    assert confirm_audit.actor == city_finance and confirm_audit.detail["before"]["bank_card"] == mask_bank_card(
        old_card
    )

    # Payable again; the line built now carries the confirmed new card, to the bank file.
    assert _payable(scenario, app)
    second = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    line = _line_of(second, app)
    assert decrypt_text(line.bank_card_encrypted) == NEW_CARD and line.bank_name == "中国建设银行"
    second = payout_list_export(payout_list_id=second.pk, actor_id=city_finance.pk)
    with second.file.open("rb") as f:
        rows = data_rows(read_sheet(f.read()))
    assert rows[0][3] == NEW_CARD


def test_refused_change_keeps_the_old_card_and_the_worker_is_told_why(scenario, city_finance, heard):
    publish_and_end(scenario, city_finance)
    app = scenario.applications[2]
    worker = app.worker
    old_card = scenario.numbers[app.pk][1]
    _edit(worker, bank_card=NEW_CARD)
    change = worker.changes.get()
    grassroots_reviewer = staff(worker.union, AdminRole.REVIEWER, "grassroots-reviewer")

    with pytest.raises(ValidationError, match="请填写不通过的原因"):
        worker_change_refuse(change=change, actor=grassroots_reviewer, reason="  ")
    change.refresh_from_db()
    assert change.status == WorkerChangeStatus.PENDING

    worker_change_refuse(change=change, actor=grassroots_reviewer, reason="电话核实：本人未申请换卡")

    change.refresh_from_db()
    worker.refresh_from_db()
    assert change.status == WorkerChangeStatus.REFUSED and change.decision_note == "电话核实：本人未申请换卡"
    assert decrypt_text(worker.bank_card_encrypted) == old_card
    assert heard[-1].confirmed is False
    step = ApplicationEvent.objects.get(application=app, action="profile_change_refused")
    assert step.detail["label"] == "银行卡变更未通过核实" and "本人未申请换卡" in step.reason
    assert AuditLog.objects.filter(action="worker_change.refuse", actor=grassroots_reviewer).exists()
    assert _payable(scenario, app)
    built = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    assert decrypt_text(_line_of(built, app).bank_card_encrypted) == old_card


def test_name_employer_and_union_changes_are_held_too_and_the_application_keeps_its_union(scenario, city_finance):
    app = scenario.applications[0]
    worker = app.worker
    old_union, old_path = worker.union, app.union_path
    _edit(worker, name="张叁丰", employer="济南某新公司", union=scenario.grassroots[1])
    worker.refresh_from_db()
    assert (worker.name, worker.employer, worker.union) == ("张三丰", "济南某机械有限公司", old_union)
    change = worker.changes.get()
    assert change.fields == ["name", "employer", "union"]
    step = ApplicationEvent.objects.get(application=app, action="profile_change_pending")
    assert step.detail["label"] == "信息变更待核实：姓名、工作单位、所在工会"
    assert "张三丰 → 张叁丰" in step.reason

    worker_change_confirm(change=change, actor=city_finance)
    worker.refresh_from_db()
    app.refresh_from_db()
    assert (worker.name, worker.employer, worker.union) == ("张叁丰", "济南某新公司", scenario.grassroots[1])
    # The approved application stays with the union it was approved under (quota, payer).
    assert app.union_path == old_path
    publish_and_end(scenario, city_finance)
    built = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    line = _line_of(built, app)
    assert (line.name, line.unit_name) == ("张叁丰", "济南某新公司")


def test_a_second_edit_updates_the_one_pending_change_and_changing_back_cancels_it(scenario, city_finance, heard):
    publish_and_end(scenario, city_finance)
    app = scenario.applications[1]
    worker = app.worker
    _edit(worker, bank_card=NEW_CARD)
    other_card = luhn_complete("621483000000123456")
    _edit(worker, bank_card=other_card)
    change = worker.changes.get()
    assert change.status == WorkerChangeStatus.PENDING
    assert decrypt_text(change.bank_card_encrypted) == other_card
    # Saving again with the card left blank keeps the pending card, tells nobody again.
    _edit(worker)
    assert worker.changes.get().bank_card_hmac == hmac_index(other_card)
    assert ApplicationEvent.objects.filter(application=app, action="profile_change_pending").count() == 2

    _edit(worker, bank_card=scenario.numbers[app.pk][1])  # back to the confirmed card
    change.refresh_from_db()
    assert change.status == WorkerChangeStatus.CANCELLED
    assert heard[-1].confirmed is False
    assert ApplicationEvent.objects.filter(application=app, action="profile_change_cancelled").exists()
    assert AuditLog.objects.filter(action="worker_change.cancel").exists()
    assert _payable(scenario, app)


def test_who_may_decide(scenario, city_finance, county_finance):
    publish_and_end(scenario, city_finance)
    app = scenario.applications[0]  # under counties[0] / grassroots[0]
    worker = app.worker
    _edit(worker, bank_card=NEW_CARD)
    change = worker.changes.get()

    other_subtree = staff(scenario.grassroots[1], AdminRole.MANAGER, "other-grassroots")
    with pytest.raises(ValidationError, match="不在本单位管辖范围内"):
        worker_change_confirm(change=change, actor=other_subtree)
    # Finance of a county pays matching money but does not own the programme.
    with pytest.raises(ValidationError, match="财务人员只能核实本单位所办方案"):
        worker_change_confirm(change=change, actor=county_finance)
    # A staff account named by the worker's own mobile number is the worker.
    phone = worker.phone
    same_phone = staff(scenario.city, AdminRole.MANAGER, f"{phone[:3]}-{phone[3:7]}-{phone[7:]}")
    with pytest.raises(ValidationError, match="不能核实本人的信息变更"):
        worker_change_confirm(change=change, actor=same_phone)
    # A staff member whose own card is the new card: the takeover this review stops.
    insider = staff(scenario.city, AdminRole.REVIEWER, "insider")
    Worker.objects.create(
        user=insider,
        name="内部人员",
        id_number_encrypted=encrypt_text("x"),
        id_number_hmac=hmac_index("insider-id"),
        id_number_masked="x",
        birth_date=date(1985, 1, 1),
        phone="13900009999",
        employer="济南市总工会",
        union=scenario.grassroots[0],
        bank_name="中国银行",
        bank_card_encrypted=encrypt_text(NEW_CARD),
        bank_card_hmac=hmac_index(NEW_CARD),
        bank_card_masked=mask_bank_card(NEW_CARD),
    )
    with pytest.raises(ValidationError, match="不能核实本人的信息变更"):
        worker_change_confirm(change=change, actor=insider)
    worker.refresh_from_db()
    change.refresh_from_db()
    assert change.status == WorkerChangeStatus.PENDING and worker.bank_card_hmac != hmac_index(NEW_CARD)
    assert not AuditLog.objects.filter(action="worker_change.confirm").exists()

    county_reviewer = staff(scenario.counties[0], AdminRole.REVIEWER, "lixia-reviewer")
    worker_change_confirm(change=change, actor=county_reviewer)
    with pytest.raises(ValidationError, match="已处理"):
        worker_change_refuse(change=change, actor=city_finance, reason="晚了一步")


def test_the_payout_line_carries_ascii_after_the_migration_of_an_old_full_width_card(scenario, city_finance):
    import importlib

    from django.apps import apps as django_apps

    numbers_ascii = importlib.import_module("applications.migrations.0005_numbers_ascii").numbers_ascii
    app = scenario.applications[3]
    card = scenario.numbers[app.pk][1]
    wide = "".join(chr(ord(c) + 0xFEE0) for c in card)
    Worker.objects.filter(pk=app.worker_id).update(
        bank_card_encrypted=encrypt_text(wide), bank_card_hmac=hmac_index(wide), bank_card_masked=mask_bank_card(wide)
    )
    numbers_ascii(django_apps, None)
    publish_and_end(scenario, city_finance)
    built = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    line = _line_of(built, app)
    assert decrypt_text(line.bank_card_encrypted) == card and line.bank_card_hmac == hmac_index(card)
    built = payout_list_export(payout_list_id=built.pk, actor_id=city_finance.pk)
    with built.file.open("rb") as f:
        cards = [row[3] for row in data_rows(read_sheet(f.read()))]
    assert card in cards and all(c.isascii() for c in cards)


def test_full_width_card_typed_after_approval_reaches_the_line_as_ascii(scenario, city_finance):
    publish_and_end(scenario, city_finance)
    app = scenario.applications[4]
    _edit(app.worker, bank_card="".join(chr(ord(c) + 0xFEE0) for c in NEW_CARD))
    worker_change_confirm(change=app.worker.changes.get(), actor=city_finance)
    built = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    assert decrypt_text(_line_of(built, app).bank_card_encrypted) == NEW_CARD


def test_the_admin_list_and_decision_pages(scenario, city_finance, client):
    publish_and_end(scenario, city_finance)
    app = scenario.applications[0]
    worker = app.worker
    old_card = scenario.numbers[app.pk][1]
    _edit(worker, bank_card=NEW_CARD)
    change = worker.changes.get()
    client.force_login(city_finance)

    listing = client.get(reverse("admin:applications_workerchange_changelist"))
    body = listing.content.decode()
    assert listing.status_code == 200 and "信息变更核实" in body and worker.name in body
    assert mask_bank_card(NEW_CARD) in body and NEW_CARD not in body and worker.phone not in body

    url = reverse("admin:applications_workerchange_change", args=[change.pk])
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "确认变更" in text and "不通过" in text
    assert mask_bank_card(old_card) in text and NEW_CARD not in text and old_card not in text

    # Refusing without a reason: the form says why on the page, nothing changes.
    refused = client.post(url, {"decision": "refuse", "refuse-reason": ""})
    assert refused.status_code == 200 and "不通过必须填写原因" in refused.content.decode()
    change.refresh_from_db()
    assert change.status == WorkerChangeStatus.PENDING

    done = client.post(url, {"decision": "confirm", "confirm-note": "已核实"}, follow=True)
    assert done.status_code == 200 and "已确认" in done.content.decode()
    worker.refresh_from_db()
    assert decrypt_text(worker.bank_card_encrypted) == NEW_CARD

    # Someone outside the worker's subtree sees no such change at all.
    client.force_login(staff(scenario.grassroots[1], AdminRole.MANAGER, "other-manager"))
    assert client.get(url).status_code == 404
    assert worker.name not in client.get(reverse("admin:applications_workerchange_changelist")).content.decode()


def test_the_decision_page_refuses_the_persons_own_change_on_the_page(scenario, client):
    app = scenario.applications[0]
    worker = app.worker
    _edit(worker, bank_card=NEW_CARD)
    change = worker.changes.get()
    phone = worker.phone
    same_phone = staff(scenario.city, AdminRole.MANAGER, f"{phone[:3]} {phone[3:7]} {phone[7:]}")
    client.force_login(same_phone)
    url = reverse("admin:applications_workerchange_change", args=[change.pk])
    page = client.get(url).content.decode()
    assert "不能核实本人的信息变更" in page and 'name="decision"' not in page
    forced = client.post(url, {"decision": "confirm", "confirm-note": ""}, follow=True)
    assert "不能核实本人的信息变更" in forced.content.decode()
    change.refresh_from_db()
    assert change.status == WorkerChangeStatus.PENDING
    assert get_user_model().objects.filter(username=phone).count() == 1
