"""The worker's side of changes after approval (issue 11, case 2): before approval a change
applies at once, as always; after it the pages say "银行卡变更待核实" with masked
before/after; the form shows the values waiting for review."""

import pytest
from django.urls import reverse

from applications.models import Application, ApplicationStatus, Worker, WorkerChange
from applications.services import ProfileData, application_submit, worker_profile_save
from qiuxue.crypto import decrypt_text
from qiuxue.masking import mask_bank_card
from quotas.models import AuditLog

from .factories import make_card, make_ready_application, make_worker


def _data(worker: Worker, **changes) -> ProfileData:
    return ProfileData(
        **{
            "name": worker.name,
            "employer": worker.employer,
            "union": worker.union,
            "bank_name": worker.bank_name,
            **changes,
        }
    )


def _approved(worker: Worker, program) -> Application:
    app = make_ready_application(worker, program)
    application_submit(application=app, actor=worker.user)
    # Set-up only: the tiers' approvals are tested in reviews; here the money is approved.
    Application.objects.filter(pk=app.pk).update(status=ApplicationStatus.APPROVED)
    app.refresh_from_db()
    return app


def _form(worker: Worker, **changes) -> dict:
    return {
        "name": worker.name,
        "employer": worker.employer,
        "union": worker.union_id,
        "bank_name": worker.bank_name,
        "bank_card": "",
        "is_frontline": "on",
        "holder_declaration": "on",
        **changes,
    }


@pytest.mark.django_db
def test_a_change_before_approval_applies_at_once_and_the_audit_says_what_changed(tree, program):
    worker = make_worker(tree["shop"])
    app = make_ready_application(worker, program)
    application_submit(application=app, actor=worker.user)  # in review: not approved yet
    old_masked = worker.bank_card_masked
    card = make_card()
    worker_profile_save(user=worker.user, data=_data(worker, bank_card=card, name="张三"))
    worker.refresh_from_db()
    assert decrypt_text(worker.bank_card_encrypted) == card and worker.name == "张三"
    assert not WorkerChange.objects.exists()
    log = AuditLog.objects.filter(action="worker_profile_update", object_id=str(worker.pk)).latest("pk")
    assert log.detail["changed"] == ["name", "bank_card"] and log.detail["held_for_review"] is False
    assert log.detail["before"] == {"name": "张三丰", "bank_card": old_masked}
    assert log.detail["after"] == {"name": "张三", "bank_card": mask_bank_card(card)}
    assert card not in str(log.detail)


@pytest.mark.django_db
def test_the_profile_and_status_pages_show_the_pending_change(client, tree, program):
    worker = make_worker(tree["shop"])
    app = _approved(worker, program)
    old_masked, card = worker.bank_card_masked, make_card()
    client.force_login(worker.user)

    response = client.post(reverse("applications:profile"), _form(worker, bank_card=card, position="焊工"), follow=True)
    assert "银行卡变更待核实：已提交所在工会核实" in response.content.decode()
    worker.refresh_from_db()
    assert worker.position == "焊工" and worker.bank_card_masked == old_masked  # the rest is saved

    for url in (reverse("applications:profile"), reverse("applications:detail", args=[app.pk])):
        page = client.get(url).content.decode()
        assert 'id="pending-change"' in page and "银行卡变更待核实" in page
        assert f"{old_masked} → {mask_bank_card(card)}" in page
        assert card not in page
    # The status page's timeline has the step; 消息 has the message.
    assert "银行卡变更待核实" in client.get(reverse("applications:messages")).content.decode()


@pytest.mark.django_db
def test_the_profile_form_shows_the_pending_values_so_saving_again_keeps_them(client, tree, program):
    worker = make_worker(tree["shop"])
    _approved(worker, program)
    client.force_login(worker.user)
    client.post(reverse("applications:profile"), _form(worker, name="张叁丰", employer="新单位"))
    form = client.get(reverse("applications:profile")).context["form"]
    assert form.initial["name"] == "张叁丰" and form.initial["employer"] == "新单位"
    page = client.get(reverse("applications:profile")).content.decode()
    assert "信息变更待核实：姓名、工作单位" in page


@pytest.mark.django_db
def test_no_notice_without_a_pending_change(client, tree, program):
    worker = make_worker(tree["shop"])
    app = _approved(worker, program)
    client.force_login(worker.user)
    assert 'id="pending-change"' not in client.get(reverse("applications:profile")).content.decode()
    assert 'id="pending-change"' not in client.get(reverse("applications:detail", args=[app.pk])).content.decode()
