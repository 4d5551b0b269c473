"""``Application.union_path``: the scope column copied at draft creation and at submission.

The worker's union may change later; a submitted application stays with the union it
was submitted under (the one whose chain reviews it), in every scoped list.
"""

import pytest
from django.urls import reverse

from applications.models import Application, Worker
from applications.services import application_create_draft, application_submit
from quotas.models import UnionLevel
from quotas.services import union_create
from tests.applications.factories import app_data, make_program, make_ready_application, make_tree
from tests.applications.factories import make_worker as make_profile

from .conftest import make_admin, make_worker

CHANGELIST = "admin:applications_application_changelist"


def _move(worker: Worker, union) -> None:
    Worker.objects.filter(pk=worker.pk).update(union=union)
    worker.refresh_from_db()


def _listed(client, user) -> set[int]:
    client.force_login(user)
    response = client.get(reverse(CHANGELIST), {"queue": "all"})
    assert response.status_code == 200
    cl = response.context["cl"]
    assert cl.result_count == len(cl.result_list)
    return {o.pk for o in cl.result_list}


@pytest.mark.django_db
def test_draft_copies_the_union_path_and_submit_refreshes_it():
    tree = make_tree()
    program = make_program(tree["city"])
    worker = make_profile(tree["shop"])
    draft = application_create_draft(worker=worker, program=program, data=app_data(), actor=worker.user)
    assert draft.union_path == tree["shop"].path

    # Moved between draft and submission: the application is submitted under the new union.
    moved_to = union_create(name="泉城二号公司工会", code="g-moved", level=UnionLevel.GRASSROOTS, parent=tree["town"])
    app = make_ready_application(worker, make_program(tree["city"]))
    assert app.union_path == tree["shop"].path
    _move(worker, moved_to)
    application_submit(application=app, actor=worker.user)
    app.refresh_from_db()
    assert app.union_path == moved_to.path
    assert app.review_chain[0] == moved_to.pk
    assert list(Application.objects.in_subtree(moved_to)) == [app]
    assert list(Application.objects.in_subtree(tree["shop"])) == [draft]


@pytest.mark.django_db
def test_a_worker_who_moves_later_leaves_the_application_with_its_union(client, tree, program):
    from .conftest import make_submitted

    worker = make_worker(tree.grassroots_a1)
    app = make_submitted(worker, program)
    assert app.union_path == tree.grassroots_a1.path
    county_a, county_b = make_admin(tree.county_a), make_admin(tree.county_b)
    assert _listed(client, county_a) == {app.pk}
    assert _listed(client, county_b) == set()

    _move(worker, tree.grassroots_b)
    assert _listed(client, county_a) == {app.pk}
    assert _listed(client, county_b) == set()
    app.refresh_from_db()
    assert app.union_path == tree.grassroots_a1.path


@pytest.mark.django_db
def test_rows_created_outside_the_services_get_the_worker_union_path(tree, program):
    worker = make_worker(tree.grassroots_i)
    app = Application.objects.create(
        worker=worker,
        program=program[0],
        level="dazhuan",
        school="山东开放大学",
        major="机电一体化技术",
        enrolled_on="2024-03-01",
        chsi_code="CHSI-direct",
        chsi_expires_on="2030-01-01",
    )
    assert Application.objects.get(pk=app.pk).union_path == tree.grassroots_i.path


@pytest.mark.django_db
def test_list_counts_are_exact_below_the_cap_and_say_so_at_the_cap(client, tree, program, monkeypatch):
    from reviews.paginator import CappedCountPaginator

    from .conftest import make_submitted

    apps = [make_submitted(make_worker(tree.grassroots_a1), program) for _ in range(4)]
    admin_user = make_admin(tree.county_a)
    client.force_login(admin_user)
    monkeypatch.setattr(CappedCountPaginator, "cap", 5)
    response = client.get(reverse(CHANGELIST), {"queue": "all"})
    assert response.context["cl"].result_count == len(apps)
    assert "rv-capped" not in response.content.decode()

    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    response = client.get(reverse(CHANGELIST), {"queue": "all"})
    assert response.context["cl"].result_count == 3
    assert "共超过 3 条" in response.content.decode()


@pytest.mark.django_db
def test_the_reviewer_who_lists_it_can_decide_it_after_the_worker_moves(tree, program):
    # Listed for the grassroots union it was submitted under, so decided there too: the
    # service's scope check reads the same column as the lists.
    from reviews.services import application_approve

    from .conftest import make_submitted

    worker = make_worker(tree.grassroots_a1)
    app = make_submitted(worker, program)
    _move(worker, tree.grassroots_b)
    decision = application_approve(application=app, reviewer=make_admin(tree.grassroots_a1))
    app.refresh_from_db()
    assert decision.application_id == app.pk and app.current_tier_id != tree.grassroots_a1.pk
