"""The home page's batch state, read from prefetched batches, against the one-question
queries; and the page's query count does not grow with the number of programmes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.selectors import BatchState, batch_state_of, filled_batch_of, open_batch_of
from quotas.models import Batch

from .factories import make_program, make_ready_application

pytestmark = pytest.mark.django_db


def _three_batches(tree):
    program = make_program(tree["city"])
    first = program.batches.get()
    for number, start in ((2, 20), (3, 40)):
        Batch.objects.create(
            program=program,
            number=number,
            apply_opens=first.apply_opens + timedelta(days=start),
            apply_closes=first.apply_opens + timedelta(days=start + 10),
            review_opens=first.apply_opens + timedelta(days=start),
            review_closes=first.apply_opens + timedelta(days=start + 20),
        )
    return program


def _queried(program, at) -> BatchState:
    upcoming = program.batches.filter(apply_opens__gt=at, closed_as_filled_at__isnull=True).order_by("apply_opens")
    return BatchState(
        open=open_batch_of(program=program, now=at),
        next=upcoming.first(),
        filled=filled_batch_of(program=program, now=at),
    )


def test_state_from_batches_matches_the_queries(tree):
    program = _three_batches(tree)
    b1, b2, b3 = program.batches.order_by("number")
    moments = [
        b1.apply_opens - timedelta(days=1),
        b1.apply_opens,
        b1.apply_closes - timedelta(microseconds=1),
        b1.apply_closes,
        b2.apply_opens + timedelta(days=1),
        b2.apply_closes + timedelta(days=1),
        b3.apply_opens + timedelta(days=1),
        b3.apply_closes + timedelta(days=1),
    ]
    for closed in (False, True):
        if closed:
            b3.closed_as_filled_at = b1.apply_closes
            b3.save(update_fields=["closed_as_filled_at"])
        for at in moments:
            assert batch_state_of(program=program, now=at) == _queried(program, at), (closed, at)
    # With batch 3 closed: between batches 1 and 2 the next is 2; after 2 nothing opens, 3 is "filled".
    after_two = b2.apply_closes + timedelta(days=1)
    assert batch_state_of(program=program, now=after_two) == BatchState(open=None, next=None, filled=b3)


def test_home_page_queries_do_not_grow_with_programmes(client, tree, worker):
    make_ready_application(worker, _three_batches(tree))
    client.force_login(worker.user)

    def home_queries() -> int:
        client.get(reverse("applications:home"))  # sessions and caches settled
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("applications:home")).status_code == 200
        return len(ctx.captured_queries)

    one = home_queries()
    for _ in range(4):
        _three_batches(tree)
    assert home_queries() == one
