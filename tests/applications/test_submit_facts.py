"""The submit's one-statement read (``applications.submit_facts``) against the ORM reads it
replaced, case by case: if the SQL drifts from the models, these disagree."""

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import Application
from applications.selectors import catalogue_lists, open_batch_of, prior_level_groups_of, seat_capacity_of
from applications.services import application_submit, attachment_upload
from applications.submit_facts import submit_facts_of
from quotas.models import AllocationMode, Batch, CatalogueEntry, DocumentKind, EducationLevel, FundingSource
from quotas.selectors import review_chain_for, review_chain_pick

from .factories import jpeg_bytes, make_program, make_ready_application, make_worker, upload

pytestmark = pytest.mark.django_db


def _loaded(app: Application) -> Application:
    # As the submit view hands it to the service: with worker, union and programme.
    return Application.objects.select_related("worker__union", "program__owner_union").get(pk=app.pk)


def _orm_facts(app: Application, now):
    batch = open_batch_of(program=app.program, now=now)
    return {
        "batch": (batch.pk, batch.number) if batch else (None, None),
        "documents": set(app.attachments.filter(is_current=True).values_list("kind", flat=True)),
        "claims": prior_level_groups_of(id_number_hmac=app.worker.id_number_hmac, exclude_application_id=app.pk),
        "catalogue": catalogue_lists(program=app.program, school=app.school, level=app.level, major=app.major),
        "chain": [u.pk for u in review_chain_for(union=app.worker.union, tiers=app.program.review_tiers)],
        "seats": seat_capacity_of(program=app.program),
    }


def _sql_facts(app: Application, now):
    facts = submit_facts_of(application=app, now=now)
    return {
        "batch": (facts.batch_id, facts.batch_number),
        "documents": facts.present_documents,
        "claims": facts.prior_level_groups,
        "catalogue": facts.catalogue_listed,
        "chain": [u.id for u in review_chain_pick(ancestors=facts.ancestors, tiers=app.program.review_tiers)],
        "seats": facts.seat_capacity,
    }


def test_ready_application_in_an_open_programme(tree, program, worker):
    app = _loaded(make_ready_application(worker, program))
    now = timezone.now()
    facts = _sql_facts(app, now)
    assert facts == _orm_facts(app, now)
    assert facts["batch"][0] == program.batches.get().pk
    assert facts["documents"] == set(program.required_documents)
    assert facts["claims"] == set() and facts["catalogue"] is None
    assert facts["chain"] == [tree["shop"].pk, tree["county"].pk, tree["city"].pk]


def test_replaced_papers_and_other_claims_of_the_same_person(tree, program, worker):
    first = make_ready_application(worker, program)
    application_submit(application=first, actor=worker.user)
    other = make_program(tree["city"], review_tiers=["township", "city"])
    app = make_ready_application(worker, other, level=EducationLevel.BENKE)
    # A paper uploaded again: only the current copy counts.
    attachment_upload(
        application=app, kind=DocumentKind.ID_FRONT, uploaded_file=upload("b.jpg", jpeg_bytes()), actor=worker.user
    )
    app = _loaded(app)
    now = timezone.now()
    facts = _sql_facts(app, now)
    assert facts == _orm_facts(app, now)
    assert facts["claims"] == prior_level_groups_of(id_number_hmac=worker.id_number_hmac, exclude_application_id=app.pk)
    assert facts["claims"]  # the first application's level
    assert facts["chain"] == [tree["town"].pk, tree["city"].pk]


@pytest.mark.parametrize("listed", [True, False])
def test_catalogue_listed_or_not(tree, worker, listed):
    program = make_program(tree["city"])
    app = make_ready_application(worker, program)
    CatalogueEntry.objects.create(
        program=program,
        school=app.school if listed else "另一所大学",
        level=app.level,
        major=app.major,
    )
    app = _loaded(app)
    now = timezone.now()
    assert _sql_facts(app, now) == _orm_facts(app, now)
    assert _sql_facts(app, now)["catalogue"] is listed


def test_batch_windows_before_between_and_after(tree, worker):
    program = make_program(tree["city"])
    first = program.batches.get()
    second = Batch.objects.create(
        program=program,
        number=2,
        apply_opens=first.apply_closes + timedelta(days=5),
        apply_closes=first.apply_closes + timedelta(days=15),
        review_opens=first.apply_closes + timedelta(days=5),
        review_closes=first.apply_closes + timedelta(days=25),
    )
    app = _loaded(make_ready_application(worker, program))
    moments = [
        first.apply_opens - timedelta(seconds=1),
        first.apply_opens,  # opens on the second
        first.apply_closes - timedelta(microseconds=1),
        first.apply_closes,  # closed on the second
        second.apply_opens + timedelta(hours=1),
        second.apply_closes + timedelta(days=1),
    ]
    seen = [_sql_facts(app, at)["batch"][1] for at in moments]
    assert seen == [None, 1, 1, None, 2, None]
    for at in moments:
        assert _sql_facts(app, at) == _orm_facts(app, at)


def test_worker_of_a_township_union(tree, program):
    # No grassroots union: the chain skips the missing tier.
    worker = make_worker(tree["town"])
    app = _loaded(make_ready_application(worker, program))
    now = timezone.now()
    facts = _sql_facts(app, now)
    assert facts == _orm_facts(app, now)
    assert facts["chain"] == [tree["county"].pk, tree["city"].pk]


def test_places_of_an_at_submission_programme(tree, worker):
    program = make_program(tree["city"], mode=AllocationMode.AT_SUBMISSION, slots=100)
    # A second source of its own with fewer slots caps the places; a matching one does not count.
    own = program.sources.get()
    FundingSource.objects.create(
        program=program, name="大学补助", payer_union=tree["city"], amount_yuan=1000, total_slots=80
    )
    FundingSource.objects.create(
        program=program, name="配套", payer_union=tree["county"], amount_yuan=500, matching_of=own
    )
    app = _loaded(make_ready_application(worker, program))
    now = timezone.now()
    assert _sql_facts(app, now) == _orm_facts(app, now)
    assert _sql_facts(app, now)["seats"] == 80
