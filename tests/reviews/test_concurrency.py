"""Two reviewers of one tier approving the same application at the same moment."""

import threading

import pytest
from django.db import connection

from applications.models import ApplicationEvent
from applications.workflow import Action
from reviews import services
from reviews.models import ReviewDecision
from reviews.services import ReviewRefused

from .conftest import make_admin, make_submitted, make_worker

ROUNDS = 6
REVIEWERS = 4


def _race(app, reviewers, decide):
    barrier = threading.Barrier(len(reviewers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(user):
        try:
            barrier.wait(timeout=10)
            decide(app, user)
            result = "ok"
        except ReviewRefused:
            result = "refused"
        except Exception as exc:  # a crash is a failure of its own, keep it visible
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(u,)) for u in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_simultaneous_approvals_produce_one_decision(tree, program):
    reviewers = [make_admin(tree.grassroots_a1) for _ in range(REVIEWERS)]
    apps = [make_submitted(make_worker(tree.grassroots_a1), program) for _ in range(ROUNDS)]
    for app in apps:
        outcomes = _race(app, reviewers, lambda a, u: services.application_approve(application=a, reviewer=u))
        assert sorted(outcomes) == ["ok"] + ["refused"] * (REVIEWERS - 1), outcomes
    for app in apps:
        app.refresh_from_db()
        assert app.current_tier_id == tree.township_a.pk
        assert ReviewDecision.objects.filter(application=app).count() == 1
        assert ApplicationEvent.objects.filter(application=app, action=Action.APPROVE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_approve_and_reject_produce_one_decision(tree, program):
    approver, rejecter = make_admin(tree.grassroots_a1), make_admin(tree.grassroots_a1)
    apps = [make_submitted(make_worker(tree.grassroots_a1), program) for _ in range(ROUNDS)]

    def decide(app, user):
        if user == approver:
            services.application_approve(application=app, reviewer=user)
        else:
            services.application_reject(application=app, reviewer=user, reason="材料不实")

    for app in apps:
        outcomes = _race(app, [approver, rejecter], decide)
        assert sorted(outcomes) == ["ok", "refused"], outcomes
        assert ReviewDecision.objects.filter(application=app).count() == 1
