"""The demo loader (through the services) and the pages a worker sees."""

import pytest
from django.db.models import Count
from django.urls import reverse

from applications.demo import DEMO_PHONE, demo_workers_load
from applications.models import Application, ApplicationEvent, SeatStatus, Worker
from applications.services import application_submit
from applications.workflow import Action, application_transition
from quotas.demo import load_quota_demo
from quotas.models import AllocationMode, AuditLog

from .factories import make_program, make_ready_application, make_worker

pytestmark = pytest.mark.django_db


def test_demo_workers_load_builds_varied_applications_once():
    load_quota_demo()
    result = demo_workers_load()
    assert result["created"] >= 40
    demo = Worker.objects.get(phone=DEMO_PHONE)
    assert demo.applications.get().status == "in_review"
    statuses = dict(Application.objects.values_list("status").annotate(n=Count("id")))
    assert {"draft", "in_review", "approved", "returned", "rejected", "withdrawn"} <= set(statuses)
    placed = Application.objects.filter(program__slug="xianan-2026", seat_status=SeatStatus.PLACED)
    assert sorted(placed.values_list("seat_rank", flat=True)) == list(range(1, placed.count() + 1))
    assert demo_workers_load()["created"] == 0


def test_the_xianan_demo_has_workers_in_each_stage():
    """Issue 15's proof: the demo shows Xian'an's year in stages, with a place for each
    stage-1 submission and the university's tier at stage 2."""
    load_quota_demo()
    demo_workers_load()
    xianan = Application.objects.filter(program__slug="xianan-2026")
    rows = xianan.values_list("stage", "status").annotate(n=Count("id"))
    by_step = {(stage, status): n for stage, status, n in rows}
    assert by_step[(1, "draft")] >= 1  # not submitted yet: no place
    assert by_step[(1, "in_review")] >= 1  # spring: only the 推荐表, under review
    assert by_step[(2, "stage_passed")] >= 1  # stage 1 passed, the December claim still to come
    assert by_step[(2, "in_review")] >= 1  # the claim with the 录取通知书 and the 学信网 report
    assert by_step[(2, "approved")] >= 1
    assert not xianan.filter(status="draft").exclude(seat_status="").exists()
    assert not xianan.exclude(status="draft").filter(seat_status="").exists()
    # Stage 2 is reviewed by the district and then the worker's university (its co-funder).
    assert not xianan.filter(stage=2).exclude(status="stage_passed").filter(cofunder__isnull=True).exists()


def test_status_page_labels_unknown_actions_and_shows_seat(client, tree):
    prog = make_program(tree["city"], mode=AllocationMode.AT_SUBMISSION, slots=1)
    w1, w2 = make_worker(tree["shop"]), make_worker(tree["shop"])
    application_submit(application=make_ready_application(w1, prog), actor=w1.user)
    a2 = application_submit(application=make_ready_application(w2, prog), actor=w2.user)
    # Later apps add their own steps; the page shows their label, or a neutral one.
    ApplicationEvent.objects.create(application=a2, action="publicity_start", detail={"label": "进入公示"})
    ApplicationEvent.objects.create(application=a2, action="something_new")
    client.force_login(w2.user)
    body = client.get(reverse("applications:detail", args=[a2.pk])).content.decode()
    assert "候补第1位" in body and "进入公示" in body and "办理进展" in body and "提交申请" in body
    assert w2.id_number_masked in body


def test_returned_application_shows_fields_and_keep_notice(client, tree, program, worker):
    app = application_submit(application=make_ready_application(worker, program), actor=worker.user)
    from django.utils import timezone

    application_transition(
        application=app,
        action=Action.RETURN,
        actor=None,
        tier=app.current_tier,
        reason="报告模糊",
        changes={"returned_at": timezone.now(), "return_fields": ["chsi", "school"], "return_reason": "报告模糊"},
    )
    client.force_login(worker.user)
    body = client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    assert "学信网学籍在线验证报告" in body and "院校" in body and "报告模糊" in body
    confirm = client.get(reverse("applications:submit", args=[app.pk])).content.decode()
    assert "保留原来的提交时间" in confirm
    response = client.post(reverse("applications:submit", args=[app.pk]))
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == "in_review"


def test_print_page_shows_full_id_to_owner_and_is_audited(client, tree, program, worker):
    from qiuxue.crypto import decrypt_text

    app = make_ready_application(worker, program)
    client.force_login(worker.user)
    body = client.get(reverse("applications:print", args=[app.pk])).content.decode()
    assert decrypt_text(worker.id_number_encrypted) in body
    assert "<svg" in body and app.number in body
    assert AuditLog.objects.filter(action="application_form_print", object_id=str(app.pk)).count() == 1
    # Every other page stays masked.
    assert (
        decrypt_text(worker.id_number_encrypted)
        not in client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    )


def test_withdraw_needs_confirmation(client, tree, program, worker):
    app = application_submit(application=make_ready_application(worker, program), actor=worker.user)
    client.force_login(worker.user)
    response = client.post(reverse("applications:withdraw", args=[app.pk]), {"reason": "x"})
    assert response.status_code == 200
    app.refresh_from_db()
    assert app.status == "in_review"
    client.post(reverse("applications:withdraw", args=[app.pk]), {"reason": "x", "confirm": "on"})
    app.refresh_from_db()
    assert app.status == "withdrawn"


def test_late_submit_through_the_page_is_refused(client, tree, worker):
    closed = make_program(tree["city"], open_now=False)
    app = make_ready_application(worker, closed)
    client.force_login(worker.user)
    response = client.post(reverse("applications:submit", args=[app.pk]), follow=True)
    assert "不在申请时间内" in response.content.decode()
    app.refresh_from_db()
    assert app.status == "draft"
