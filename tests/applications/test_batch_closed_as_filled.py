"""A batch the earlier batches left without places (Jinan batch 3) takes no applications,
and the worker is told why. The mark itself is set by payouts (tests/allocation/
test_batch_fill.py); here it is the contract the worker's side reads."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.models import ApplicationStatus
from applications.selectors import BatchState, batch_state_of, filled_batch_of, open_batch_of
from applications.services import application_submit
from applications.submit_facts import submit_facts_of

from .factories import make_ready_application

pytestmark = pytest.mark.django_db
NOTICE = "第1批申请不再开放"


def _close_as_filled(program):
    batch = program.batches.get()
    batch.closed_as_filled_at = timezone.now()
    batch.save(update_fields=["closed_as_filled_at"])
    return batch


def test_submit_in_a_filled_batch_is_refused_with_the_reason(tree, program, worker):
    app = make_ready_application(worker, program)
    batch = _close_as_filled(program)
    assert open_batch_of(program=program) is None
    assert filled_batch_of(program=program) == batch
    assert batch_state_of(program=program) == BatchState(open=None, next=None, filled=batch)
    assert submit_facts_of(application=app, now=timezone.now()).batch_id is None
    with pytest.raises(ValidationError, match=NOTICE):
        application_submit(application=app, actor=worker.user)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT and app.submitted_at is None


def test_pages_say_the_batch_will_not_open(client, tree, program, worker):
    app = make_ready_application(worker, program)
    client.force_login(worker.user)
    assert NOTICE not in client.get(reverse("applications:home")).content.decode()
    _close_as_filled(program)
    assert NOTICE in client.get(reverse("applications:home")).content.decode()
    assert NOTICE in client.get(reverse("applications:program_apply", args=[program.pk])).content.decode()
    response = client.post(reverse("applications:submit", args=[app.pk]), follow=True)
    assert NOTICE in response.content.decode()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT
