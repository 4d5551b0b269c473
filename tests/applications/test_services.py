"""Submitting, resubmitting and withdrawing through the real services on PostgreSQL."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from applications.models import Application, ApplicationEvent, ApplicationStatus, SeatStatus
from applications.selectors import application_queue_position
from applications.services import (
    application_create_draft,
    application_resubmit,
    application_submit,
    application_withdraw,
    seat_release_and_promote,
)
from applications.workflow import Action, application_transition
from quotas.models import AllocationMode, DocumentKind

from .factories import app_data, make_id_number, make_program, make_ready_application, make_worker

pytestmark = pytest.mark.django_db


def test_submit_sets_order_chain_number_and_is_idempotent(tree, program, worker):
    app = make_ready_application(worker, program)
    assert app.number == f"QX{program.year}-{app.pk:06d}"
    submitted = application_submit(application=app, actor=worker.user)
    assert submitted.status == ApplicationStatus.IN_REVIEW
    assert submitted.submitted_at is not None
    assert submitted.review_chain == [tree["shop"].pk, tree["county"].pk, tree["city"].pk]
    assert submitted.current_tier_id == tree["shop"].pk
    assert submitted.batch == program.batches.get()
    first_time = submitted.submitted_at
    # A double click, a retry, a second tab: the same application, the same time, one event.
    again = application_submit(application=app, actor=worker.user)
    assert again.pk == app.pk and again.submitted_at == first_time
    assert ApplicationEvent.objects.filter(application=app, action=Action.SUBMIT).count() == 1
    # Creating a "new" draft for the same programme returns the live one.
    same = application_create_draft(worker=worker, program=program, data=app_data(), actor=worker.user)
    assert same.pk == app.pk
    assert Application.objects.filter(worker=worker).count() == 1


def test_submit_refused_when_window_closed(tree, worker):
    closed = make_program(tree["city"], open_now=False)
    app = make_ready_application(worker, closed)
    with pytest.raises(ValidationError, match="申请时间"):
        application_submit(application=app, actor=worker.user)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT and app.submitted_at is None


def test_submit_refuses_missing_papers_and_short_chsi(tree, program, worker):
    app = application_create_draft(
        worker=worker,
        program=program,
        data=app_data(chsi_expires_on=timezone.localdate() + timedelta(days=30)),
        actor=worker.user,
    )
    with pytest.raises(ValidationError) as exc:
        application_submit(application=app, actor=worker.user)
    text = " ".join(exc.value.messages)
    assert "学信网" in text and "缺少材料" in text
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT


def test_public_sector_worker_needs_rank_certificate(tree, program):
    w = make_worker(tree["shop"], is_public_sector=True)
    app = make_ready_application(w, program)
    kinds = set(app.attachments.values_list("kind", flat=True))
    assert DocumentKind.RANK_CERTIFICATE in kinds


def test_once_per_level_across_programmes_and_by_id_number(tree, program, worker):
    app = make_ready_application(worker, program)
    application_submit(application=app, actor=worker.user)
    other = make_program(tree["city"])
    second = make_ready_application(worker, other, level="dazhuan")
    with pytest.raises(ValidationError, match="同一学历层次"):
        application_submit(application=second, actor=worker.user)
    # 本科 is another level: allowed.
    third_prog = make_program(tree["city"])
    third = make_ready_application(worker, third_prog, level="benke")
    assert application_submit(application=third, actor=worker.user).status == ApplicationStatus.IN_REVIEW


def test_worker_outside_programme_area_cannot_start(tree, program):
    outsider = make_worker(tree["other"])
    with pytest.raises(ValidationError, match="不属于"):
        application_create_draft(worker=outsider, program=program, data=app_data(), actor=outsider.user)


def test_queue_position_in_batch_programme(tree, program):
    apps = []
    for _ in range(3):
        w = make_worker(tree["shop"])
        a = make_ready_application(w, program)
        apps.append(application_submit(application=a, actor=w.user))
    positions = [application_queue_position(application=a).position for a in apps]
    assert positions == [1, 2, 3]
    assert application_queue_position(application=apps[0]).total == 3


def _return(app, *, days_ago=0):
    application_transition(
        application=app,
        action=Action.RETURN,
        actor=None,
        tier=app.current_tier,
        reason="学信网报告不清晰",
        changes={"returned_at": timezone.now() - timedelta(days=days_ago), "return_fields": ["chsi"]},
    )


def test_resubmit_within_window_keeps_place_and_late_loses_it(tree, program):
    w1, w2 = make_worker(tree["shop"]), make_worker(tree["shop"])
    a1 = application_submit(application=make_ready_application(w1, program), actor=w1.user)
    a2 = application_submit(application=make_ready_application(w2, program), actor=w2.user)
    first_time = a1.submitted_at
    _return(a1, days_ago=1)
    a1 = application_resubmit(application=a1, actor=w1.user)
    assert a1.status == ApplicationStatus.IN_REVIEW and a1.submitted_at == first_time
    assert application_queue_position(application=a1).position == 1
    _return(a1, days_ago=program.return_keep_days + 1)
    a1 = application_resubmit(application=a1, actor=w1.user)
    assert a1.submitted_at > first_time
    assert application_queue_position(application=a1).position == 2
    assert application_queue_position(application=a2).position == 1


def test_seats_waitlist_withdraw_promotes_first_waitlisted(tree):
    xianan = make_program(tree["city"], mode=AllocationMode.AT_SUBMISSION, slots=2)
    workers = [make_worker(tree["shop"]) for _ in range(4)]
    apps = [application_submit(application=make_ready_application(w, xianan), actor=w.user) for w in workers]
    assert [(a.seat_status, a.seat_rank) for a in apps] == [
        (SeatStatus.PLACED, 1),
        (SeatStatus.PLACED, 2),
        (SeatStatus.WAITLISTED, 1),
        (SeatStatus.WAITLISTED, 2),
    ]
    q = application_queue_position(application=apps[2])
    assert (q.seat_status, q.seat_rank, q.remaining) == (SeatStatus.WAITLISTED, 1, 0)
    application_withdraw(application=apps[0], actor=workers[0].user, reason="不读了")
    for a in apps:
        a.refresh_from_db()
    assert (apps[0].status, apps[0].seat_status) == (ApplicationStatus.WITHDRAWN, "")
    assert (apps[1].seat_status, apps[1].seat_rank) == (SeatStatus.PLACED, 1)
    assert (apps[2].seat_status, apps[2].seat_rank) == (SeatStatus.PLACED, 2)
    assert (apps[3].seat_status, apps[3].seat_rank) == (SeatStatus.WAITLISTED, 1)
    assert ApplicationEvent.objects.filter(application=apps[2], action="seat_promote").exists()
    # Idempotent: releasing again changes nothing.
    assert seat_release_and_promote(application=apps[0]) is None
    assert Application.objects.filter(program=xianan, seat_status=SeatStatus.PLACED).count() == 2


def test_withdrawn_waitlisted_closes_the_gap(tree):
    prog = make_program(tree["city"], mode=AllocationMode.AT_SUBMISSION, slots=1)
    ws = [make_worker(tree["shop"]) for _ in range(3)]
    apps = [application_submit(application=make_ready_application(w, prog), actor=w.user) for w in ws]
    application_withdraw(application=apps[1], actor=ws[1].user)
    apps[2].refresh_from_db()
    assert (apps[2].seat_status, apps[2].seat_rank) == (SeatStatus.WAITLISTED, 1)


def test_personal_numbers_not_in_plain_text_in_raw_rows(tree):
    number = make_id_number()
    w = make_worker(tree["shop"], id_number=number, bank_card="6222021234567890128")
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM applications_worker WHERE id = %s", [w.pk])
        row = " ".join(str(v) for v in cur.fetchone())
    assert number not in row and number[:-1] not in row
    assert "6222021234567890128" not in row
    assert w.id_number_masked == number[:4] + "*" * 10 + number[-4:]


@pytest.mark.parametrize(
    ("category", "label"),
    [("civil_servant", "公务员"), ("shiye_bianzhi", "事业编制人员"), ("gongqin", "工勤人员"), ("cangong", "参公")],
)
def test_conghua_excludes_civil_servants_public_staff_gongqin_and_cangong(tree, category, label):
    # 从化 2023: "公务员、事业编制人员、工勤人员及其他参公人员不纳入补助对象".
    conghua = make_program(tree["city"], excluded_categories=["civil_servant", "shiye_bianzhi", "gongqin", "cangong"])
    excluded = make_worker(tree["shop"], categories=(category,))
    with pytest.raises(ValidationError, match=label):
        application_create_draft(worker=excluded, program=conghua, data=app_data(), actor=excluded.user)
    ordinary = make_worker(tree["shop"])
    assert application_create_draft(worker=ordinary, program=conghua, data=app_data(), actor=ordinary.user).pk
