"""额满即止 said before, the full-programme refusal, the waitlist limit, the priority modes
and the seat counter (applications/seats.py), on PostgreSQL through the real services."""

from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ApplicationStatus, SeatCounter, SeatStatus
from applications.seat_outlook import seat_outlook_of
from applications.seats import seat_reserved_release, seats_release_reserved_due
from applications.services import ProfileData, application_submit, application_withdraw, worker_profile_save
from quotas.audit import AuditAction
from quotas.models import AllocationMode, AuditLog, DocumentKind, FullPolicy, PriorityMode, Program

from .factories import make_program, make_ready_application, make_worker
from .seat_helpers import assert_counter_exact, assert_ranks_dense

pytestmark = pytest.mark.django_db

AT = AllocationMode.AT_SUBMISSION
STOP_NOTICE = "名额已满，本方案额满即止，不再接受申请"


def _submitted(tree, program, **groups) -> Application:
    worker = make_worker(tree["shop"], **groups)
    app = make_ready_application(worker, program)
    return application_submit(application=app, actor=worker.user)


def _seat(app) -> tuple[str, int | None]:
    app.refresh_from_db()
    return app.seat_status, app.seat_rank


# --- 额满即止: stop, or a waitlist of a set length ----------------------------------------


def test_stop_when_full_refuses_with_the_reason_and_writes_nothing(tree):
    program = make_program(tree["city"], mode=AT, slots=2, full_policy=FullPolicy.STOP)
    first, second = _submitted(tree, program), _submitted(tree, program)
    assert [_seat(first), _seat(second)] == [(SeatStatus.PLACED, 1), (SeatStatus.PLACED, 2)]
    late = make_worker(tree["shop"])
    draft = make_ready_application(late, program)
    with pytest.raises(ValidationError) as refused:
        application_submit(application=draft, actor=late.user)
    assert STOP_NOTICE in refused.value.messages[0]
    draft.refresh_from_db()
    assert (draft.status, draft.submitted_at, draft.seat_status) == (ApplicationStatus.DRAFT, None, "")
    assert not draft.events.filter(action="submit").exists()
    assert_counter_exact(program)


def test_waitlist_of_a_set_length_then_refused(tree):
    program = make_program(tree["city"], mode=AT, slots=1, waitlist_limit=2)
    apps = [_submitted(tree, program) for _ in range(3)]
    assert [_seat(a) for a in apps] == [(SeatStatus.PLACED, 1), (SeatStatus.WAITLISTED, 1), (SeatStatus.WAITLISTED, 2)]
    late = make_worker(tree["shop"])
    draft = make_ready_application(late, program)
    with pytest.raises(ValidationError, match="候补名单（2人）也已排满"):
        application_submit(application=draft, actor=late.user)
    # A waitlisted worker withdraws: the list has room again.
    application_withdraw(application=apps[2], actor=apps[2].worker.user)
    assert _seat(application_submit(application=draft, actor=late.user)) == (SeatStatus.WAITLISTED, 2)
    assert_counter_exact(program)


def test_pages_say_it_before_the_worker_submits(client, tree):
    program = make_program(tree["city"], mode=AT, slots=1)
    _submitted(tree, program)
    _submitted(tree, program)  # waitlist 1
    worker = make_worker(tree["shop"])
    draft = make_ready_application(worker, program)
    client.force_login(worker.user)
    expected = "名额已满，现在提交将进入候补第2位"
    for url in (
        reverse("applications:program_apply", args=[program.pk]),
        reverse("applications:edit", args=[draft.pk]),
        reverse("applications:submit", args=[draft.pk]),
    ):
        assert expected in client.get(url).content.decode(), url
    # What the page said is what the submit does.
    application_submit(application=draft, actor=worker.user)
    assert _seat(draft) == (SeatStatus.WAITLISTED, 2)


def test_pages_say_places_remain_and_stop_when_full(client, tree):
    program = make_program(tree["city"], mode=AT, slots=2, full_policy=FullPolicy.STOP)
    worker = make_worker(tree["shop"])
    draft = make_ready_application(worker, program)
    client.force_login(worker.user)
    page = client.get(reverse("applications:submit", args=[draft.pk])).content.decode()
    assert "本方案共2个名额" in page and "目前还剩2个" in page
    _submitted(tree, program)
    _submitted(tree, program)
    page = client.get(reverse("applications:submit", args=[draft.pk])).content.decode()
    assert STOP_NOTICE in page
    assert 'id="submit-reasons"' in page and 'id="submit-ready"' not in page  # the button's own refusal
    response = client.post(reverse("applications:submit", args=[draft.pk]), follow=True)
    assert STOP_NOTICE in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT


def test_batch_programme_pages_say_nothing_of_seats(client, tree):
    program = make_program(tree["city"], slots=1)
    worker = make_worker(tree["shop"])
    draft = make_ready_application(worker, program)
    client.force_login(worker.user)
    assert 'id="seat-outlook"' not in client.get(reverse("applications:submit", args=[draft.pk])).content.decode()
    assert seat_outlook_of(program=program, worker=worker) is None


# --- priority groups --------------------------------------------------------------------


def test_profile_records_the_four_groups_and_the_submit_snapshots_them(tree):
    program = make_program(tree["city"], mode=AT, slots=5, priority_mode=PriorityMode.WAITLIST_FIRST)
    worker = make_worker(tree["shop"], is_union_cadre=True, is_advanced_worker=True)
    app = application_submit(application=make_ready_application(worker, program), actor=worker.user)
    app.refresh_from_db()
    assert (app.priority_groups, app.is_priority) == (["union_cadre", "advanced_worker"], True)
    # A later profile edit moves no seat already taken.
    worker_profile_save(
        user=worker.user,
        data=ProfileData(name=worker.name, employer=worker.employer, union=worker.union, bank_name=worker.bank_name),
    )
    worker.refresh_from_db()
    app.refresh_from_db()
    assert not worker.is_union_cadre and app.priority_groups == ["union_cadre", "advanced_worker"]


def test_proof_paper_required_for_each_claimed_group(tree):
    from applications.eligibility import required_documents_for

    program = make_program(tree["city"], mode=AT, slots=5, priority_proof_required=True)
    worker = make_worker(tree["shop"], is_model_worker=True, is_new_form_worker=True)
    required = required_documents_for(program=program, worker=worker)
    assert DocumentKind.MODEL_WORKER_PROOF in required and DocumentKind.NEW_FORM_PROOF in required
    assert DocumentKind.UNION_CADRE_PROOF not in required
    draft = make_ready_application(worker, program)
    draft.attachments.filter(kind=DocumentKind.MODEL_WORKER_PROOF).update(is_current=False)
    with pytest.raises(ValidationError, match="缺少材料：劳模工匠证明"):
        application_submit(application=draft, actor=worker.user)
    not_required = make_program(tree["city"], mode=AT, slots=5)
    assert DocumentKind.MODEL_WORKER_PROOF not in required_documents_for(program=not_required, worker=worker)


def test_no_priority_mode_keeps_plain_submission_order(tree):
    program = make_program(tree["city"], mode=AT, slots=1)
    first, plain, prio = (
        _submitted(tree, program),
        _submitted(tree, program),
        _submitted(tree, program, is_model_worker=True),
    )
    assert [_seat(a) for a in (first, plain, prio)] == [
        (SeatStatus.PLACED, 1),
        (SeatStatus.WAITLISTED, 1),
        (SeatStatus.WAITLISTED, 2),
    ]


def test_waitlist_first_puts_priority_ahead_and_promotes_them_first(tree):
    program = make_program(tree["city"], mode=AT, slots=1, priority_mode=PriorityMode.WAITLIST_FIRST)
    placed = _submitted(tree, program)
    b, c = _submitted(tree, program), _submitted(tree, program)
    d = _submitted(tree, program, is_model_worker=True)
    e = _submitted(tree, program, is_new_form_worker=True)
    assert [_seat(x) for x in (b, c, d, e)] == [
        (SeatStatus.WAITLISTED, 3),
        (SeatStatus.WAITLISTED, 4),
        (SeatStatus.WAITLISTED, 1),
        (SeatStatus.WAITLISTED, 2),
    ]
    assert_counter_exact(program)
    application_withdraw(application=placed, actor=placed.worker.user)
    assert [_seat(x) for x in (d, e, b, c)] == [
        (SeatStatus.PLACED, 1),
        (SeatStatus.WAITLISTED, 1),
        (SeatStatus.WAITLISTED, 2),
        (SeatStatus.WAITLISTED, 3),
    ]
    assert_counter_exact(program)
    assert_ranks_dense(program)


def test_reserved_places_held_for_priority_then_released_at_window_close(tree):
    program = make_program(
        tree["city"], mode=AT, slots=3, priority_mode=PriorityMode.RESERVED, priority_reserved_places=1
    )
    a, b = _submitted(tree, program), _submitted(tree, program)
    c = _submitted(tree, program)  # the third place is reserved: c waits
    assert [_seat(x) for x in (a, b, c)] == [(SeatStatus.PLACED, 1), (SeatStatus.PLACED, 2), (SeatStatus.WAITLISTED, 1)]
    worker = make_worker(tree["shop"])
    draft = make_ready_application(worker, program)
    outlook = seat_outlook_of(program=program, worker=worker)
    assert outlook.full and outlook.waitlist_rank == 2
    prio_worker = make_worker(tree["shop"], is_advanced_worker=True)
    assert not seat_outlook_of(program=program, worker=prio_worker).full  # the reserved place is there for them
    application_submit(application=draft, actor=worker.user)
    assert _seat(draft) == (SeatStatus.WAITLISTED, 2)
    # The window closes with the reserved place unused: computed on the fly...
    closes = program.batches.get().apply_closes
    after = closes + timedelta(minutes=1)
    assert seat_outlook_of(program=program, worker=worker, now=closes - timedelta(minutes=1)).remaining == 0
    assert seat_outlook_of(program=program, worker=worker, now=after).remaining == 1
    # ... and handed to the first on the waitlist by the beat task, once.
    assert seats_release_reserved_due(now=closes - timedelta(minutes=1)) == 0
    assert seats_release_reserved_due(now=after) == 1
    assert [_seat(x) for x in (c, draft)] == [(SeatStatus.PLACED, 3), (SeatStatus.WAITLISTED, 1)]
    assert seats_release_reserved_due(now=after) == 0
    assert SeatCounter.objects.get(pk=program.pk).reserved_released_at == after
    audit = AuditLog.objects.get(action=AuditAction.SEAT_RESERVED_RELEASE)
    assert audit.detail == {"reserved": 1, "promoted": [c.pk]}
    assert_counter_exact(program)
    assert_ranks_dense(program)


def test_reserved_place_taken_by_priority_and_freed_reserved_place_waits_for_priority(tree):
    program = make_program(
        tree["city"], mode=AT, slots=2, priority_mode=PriorityMode.RESERVED, priority_reserved_places=1
    )
    a = _submitted(tree, program)
    p = _submitted(tree, program, is_model_worker=True)
    c = _submitted(tree, program)
    q = _submitted(tree, program, is_union_cadre=True)
    assert [_seat(x) for x in (a, p, c, q)] == [
        (SeatStatus.PLACED, 1),
        (SeatStatus.PLACED, 2),
        (SeatStatus.WAITLISTED, 1),
        (SeatStatus.WAITLISTED, 2),
    ]
    # The priority holder withdraws: the reserved place goes to the priority applicant q,
    # not to c who is ahead on the waitlist.
    application_withdraw(application=p, actor=p.worker.user)
    assert [_seat(x) for x in (q, c)] == [(SeatStatus.PLACED, 2), (SeatStatus.WAITLISTED, 1)]
    # The general place frees: c (not priority) takes it.
    application_withdraw(application=a, actor=a.worker.user)
    assert [_seat(x) for x in (q, c)] == [(SeatStatus.PLACED, 1), (SeatStatus.PLACED, 2)]
    assert_counter_exact(program)
    # Direct release once the window closed: nothing left to give, idempotent.
    assert seat_reserved_release(program=program, now=timezone.now() + timedelta(days=30)) == []


def test_priority_modes_are_refused_for_batch_programmes(tree):
    program = make_program(tree["city"], slots=5)
    program.priority_mode = PriorityMode.WAITLIST_FIRST
    with pytest.raises(ValidationError) as refused:
        program.full_clean()
    assert "优先群体只适用于“提交即占名额”的方案" in str(refused.value.message_dict["priority_mode"])
    at = make_program(tree["city"], mode=AT, slots=5, priority_mode=PriorityMode.RESERVED)
    with pytest.raises(ValidationError, match="请填写预留给优先群体的名额数"):
        at.full_clean()
    at.priority_reserved_places = 2
    at.full_clean()


def test_programme_page_and_explanation_say_the_priority_mode(client, tree):
    from payouts.allocation.explain import seat_funded

    program = make_program(
        tree["city"], mode=AT, slots=5, priority_mode=PriorityMode.RESERVED, priority_reserved_places=2
    )
    worker = make_worker(tree["shop"], is_model_worker=True)
    client.force_login(worker.user)
    page = client.get(reverse("applications:program_apply", args=[program.pk])).content.decode()
    assert "预留2个名额给优先群体" in page and "您已声明：劳模工匠" in page
    text = seat_funded(row={"seat_rank": 3}, priority_mode="为优先群体预留名额", priority_groups="劳模工匠")
    assert text == "提交即占名额 第3位（优先群体：劳模工匠；为优先群体预留名额）"


# --- the counter ------------------------------------------------------------------------


def test_counter_exact_after_withdrawals_rejections_and_promotions(tree):
    program = make_program(tree["city"], mode=AT, slots=3)
    apps = [_submitted(tree, program) for _ in range(7)]
    for victim in (apps[0], apps[4], apps[2], apps[6]):
        application_withdraw(application=victim, actor=victim.worker.user)
        assert_counter_exact(program)
        assert_ranks_dense(program)
    counter = SeatCounter.objects.get(pk=program.pk)
    assert (counter.placed, counter.waiting) == (3, 0)
    assert [_seat(a) for a in (apps[1], apps[3], apps[5])] == [
        (SeatStatus.PLACED, 1),
        (SeatStatus.PLACED, 2),
        (SeatStatus.PLACED, 3),
    ]


def test_migration_fills_counters_from_todays_seats(tree):
    from importlib import import_module

    program = make_program(tree["city"], mode=AT, slots=1)
    for _ in range(3):
        _submitted(tree, program)
    SeatCounter.objects.all().delete()
    import_module("applications.migrations.0010_n_seat_counter").counters_fill(django_apps, None)
    counter = SeatCounter.objects.get(pk=program.pk)
    assert (counter.placed, counter.waiting) == (1, 2)
    assert SeatCounter.objects.count() == Program.objects.count()


def test_xianan_demo_page_says_its_priority_mode(client):
    from quotas.demo import load_quota_demo
    from quotas.models import Union, UnionLevel

    program = load_quota_demo().programs["xianan-2026"]
    assert program.priority_mode == PriorityMode.WAITLIST_FIRST
    shop = Union.objects.filter(path__startswith=program.owner_union.path, level=UnionLevel.GRASSROOTS).first()
    worker = make_worker(shop, is_new_form_worker=True)
    client.force_login(worker.user)
    page = client.get(reverse("applications:program_apply", args=[program.pk])).content.decode()
    assert (
        "劳模工匠、优秀工会干部、先进工作者、新就业形态职工优先：名额已满后，优先群体在候补名单中排在其他申请人前面"
        in page
    )
    assert "您已声明：新就业形态职工" in page


def test_under_the_counter_lock_a_submit_runs_one_statement_then_commits(tree):
    """The seat lock is held from the counter's ``FOR UPDATE`` to the commit: one statement
    in between writes the counter and the application row together (issue 15's bench:
    ``seat_lock_ms``). Two statements and Django's save() under the lock held it longer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    program = make_program(tree["city"], mode=AT, slots=1)
    _submitted(tree, program)  # the counter row exists: the steady state of a burst
    worker = make_worker(tree["shop"])
    app = make_ready_application(worker, program)
    with CaptureQueriesContext(connection) as ctx:
        application_submit(application=app, actor=worker.user)
    sql = [q["sql"] for q in ctx.captured_queries]
    lock = next(i for i, s in enumerate(sql) if "applications_seatcounter" in s and "FOR UPDATE" in s)
    end = next(i for i, s in enumerate(sql) if i > lock and s.startswith(("RELEASE SAVEPOINT", "COMMIT")))
    under_lock = sql[lock + 1 : end]
    assert len(under_lock) == 1, under_lock
    assert 'UPDATE "applications_seatcounter"' in under_lock[0] and 'UPDATE "applications_application"' in under_lock[0]
    assert _seat(app) == (SeatStatus.WAITLISTED, 1)
    assert app.status == ApplicationStatus.IN_REVIEW and app.submitted_at is not None
    counter = SeatCounter.objects.get(pk=program.pk)
    assert (counter.placed, counter.waiting) == (1, 1)
    assert_counter_exact(program)
