"""Window opening in an at-submission programme: 300 workers submit at once for 100 places.

Real threads, real PostgreSQL transactions. The seat is taken from the programme's
``SeatCounter`` row under its lock (``applications/seats.py``, ``_counter_lock``); with that
``select_for_update()`` removed every test here fails (checked by hand: 300 placed for 100
places; the counter drifts from the rows when withdrawals race submissions; more than the
places are taken under 额满即止).
"""

import threading

import pytest
from django.db import connection

from applications.models import Application, ApplicationStatus, SeatStatus
from applications.services import application_submit, application_withdraw
from quotas.models import AllocationMode, FullPolicy

from .factories import make_program, make_ready_application, make_tree, make_worker
from .seat_helpers import assert_counter_exact, assert_ranks_dense

WORKERS = 300
PLACES = 100
# PostgreSQL here allows 100 connections and other suites share it: 300 threads race, at
# most this many hold a connection at a time (still far more than needed to expose a race).
MAX_CONNECTIONS = 24


@pytest.mark.django_db(transaction=True)
def test_300_submissions_for_100_places():
    tree = make_tree()
    program = make_program(tree["city"], mode=AllocationMode.AT_SUBMISSION, slots=PLACES)
    workers = [make_worker(tree["shop"]) for _ in range(WORKERS)]
    drafts = [make_ready_application(w, program) for w in workers]
    gate = threading.Semaphore(MAX_CONNECTIONS)
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def submit(app, user):
        start.wait()
        with gate:
            try:
                application_submit(application=app, actor=user)
                # A second click from the same worker while others are still racing.
                application_submit(application=app, actor=user)
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                connection.close()

    threads = [threading.Thread(target=submit, args=(a, w.user)) for a, w in zip(drafts, workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

    apps = list(Application.objects.filter(program=program).order_by("submitted_at", "id"))
    assert len(apps) == WORKERS
    assert all(a.status == ApplicationStatus.IN_REVIEW for a in apps)
    placed = [a for a in apps if a.seat_status == SeatStatus.PLACED]
    waitlisted = [a for a in apps if a.seat_status == SeatStatus.WAITLISTED]
    assert len(placed) == PLACES
    assert len(waitlisted) == WORKERS - PLACES
    # Numbered densely and in the order of submission: the first 100 submitted hold the places.
    assert [a.seat_rank for a in placed] == list(range(1, PLACES + 1))
    assert [a.seat_rank for a in waitlisted] == list(range(1, WORKERS - PLACES + 1))
    assert apps[:PLACES] == placed
    assert len({a.number for a in apps}) == WORKERS
    assert_counter_exact(program)


def _race(jobs) -> list[BaseException]:
    """Run each ``(function, kwargs)`` in its own thread, all released at once."""
    gate = threading.Semaphore(MAX_CONNECTIONS)
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(fn, kwargs):
        start.wait()
        with gate:
            try:
                fn(**kwargs)
            except BaseException as exc:  # collected and asserted by the caller
                errors.append(exc)
            finally:
                connection.close()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_withdrawals_racing_submissions_keep_the_counter_exact():
    """60 places, 90 taken (60 placed, 30 waiting); then 40 of them withdraw (placed and
    waitlisted) while 90 more submit. Every freed place is refilled from the waitlist, the
    ranks stay dense and the counter equals the rows."""
    tree = make_tree()
    places = 60
    program = make_program(tree["city"], mode=AllocationMode.AT_SUBMISSION, slots=places)
    first = [make_ready_application(make_worker(tree["shop"]), program) for _ in range(90)]
    for app in first:
        application_submit(application=app, actor=app.worker.user)
    leaving = first[::3] + first[1::9]  # placed and waitlisted ones
    newcomers = [make_ready_application(make_worker(tree["shop"]), program) for _ in range(90)]
    jobs = [(application_withdraw, {"application": a, "actor": a.worker.user}) for a in leaving]
    jobs += [(application_submit, {"application": a, "actor": a.worker.user}) for a in newcomers]
    assert _race(jobs) == []

    live = Application.objects.filter(program=program, status=ApplicationStatus.IN_REVIEW)
    assert live.count() == 180 - len(leaving)
    assert live.filter(seat_status=SeatStatus.PLACED).count() == places
    assert live.filter(seat_status=SeatStatus.WAITLISTED).count() == 180 - len(leaving) - places
    assert not Application.objects.filter(program=program, status=ApplicationStatus.WITHDRAWN).exclude(seat_status="")
    assert_counter_exact(program)
    assert_ranks_dense(program)
    # The places went in waitlist order: every placed one was submitted before every waiting one
    # among those first submitted (newcomers queue behind the whole first waitlist).
    waiting_first = live.filter(seat_status=SeatStatus.WAITLISTED, pk__in=[a.pk for a in first])
    assert (
        not waiting_first.exists()
        or live.filter(seat_status=SeatStatus.PLACED, pk__in=[a.pk for a in newcomers]).count() == 0
    )


@pytest.mark.django_db(transaction=True)
def test_stop_when_full_takes_exactly_the_places_under_a_burst():
    """额满即止 without a waitlist: 120 submit at once for 40 places; 40 are in review with
    ranks 1..40 in submission order, the other 80 were refused and stay drafts."""
    tree = make_tree()
    program = make_program(tree["city"], mode=AllocationMode.AT_SUBMISSION, slots=40, full_policy=FullPolicy.STOP)
    drafts = [make_ready_application(make_worker(tree["shop"]), program) for _ in range(120)]
    errors = _race([(application_submit, {"application": a, "actor": a.worker.user}) for a in drafts])
    assert len(errors) == 80
    assert all("额满即止" in str(e) for e in errors)
    apps = Application.objects.filter(program=program)
    placed = list(apps.filter(status=ApplicationStatus.IN_REVIEW).order_by("submitted_at", "id"))
    assert [a.seat_rank for a in placed] == list(range(1, 41))
    assert all(a.seat_status == SeatStatus.PLACED for a in placed)
    assert apps.filter(status=ApplicationStatus.DRAFT, seat_status="", submitted_at__isnull=True).count() == 80
    assert_counter_exact(program)
