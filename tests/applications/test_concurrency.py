"""Window opening in an at-submission programme: 300 workers submit at once for 100 places.

Real threads, real PostgreSQL transactions. Without the Program row lock in
``application_submit`` the seat count races and this test fails (checked by hand).
"""

import threading

import pytest
from django.db import connection

from applications.models import Application, ApplicationStatus, SeatStatus
from applications.services import application_submit
from quotas.models import AllocationMode

from .factories import make_program, make_ready_application, make_tree, make_worker

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
