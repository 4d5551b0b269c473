"""Permission matrix: every role x every object outside its scope x every verb is denied,
and every list shows exactly the seeded subtree."""

import pytest
from django.urls import reverse

from applications.models import Application, ApplicationStatus
from quotas.models import DocumentKind
from reviews.models import ReviewDecision

from .conftest import add_attachment, make_admin, make_program, make_submitted, make_worker

CHANGELIST = "admin:applications_application_changelist"


@pytest.fixture
def world(tree, program):
    """Submitted applications in every branch, each with one document, plus a draft."""
    other_program = make_program(tree.other_city)
    seeds = {
        "a1": (tree.grassroots_a1, 3, program),
        "a2": (tree.grassroots_a2, 2, program),
        "b": (tree.grassroots_b, 2, program),
        "i": (tree.grassroots_i, 2, program),
        "other": (tree.other_grassroots, 2, other_program),
    }
    apps = {}
    for key, (union, n, prog) in seeds.items():
        apps[key] = []
        for _ in range(n):
            app = make_submitted(make_worker(union), prog)
            add_attachment(app, DocumentKind.CHSI_REPORT)
            apps[key].append(app)
    draft = make_submitted(make_worker(tree.grassroots_a1), program)
    Application.objects.filter(pk=draft.pk).update(status=ApplicationStatus.DRAFT)
    add_attachment(draft, DocumentKind.CHSI_REPORT)
    apps["draft"] = [draft]
    worker_user = apps["a1"][0].worker.user
    roles = {
        # role: (user, branches visible)
        "worker": (worker_user, set()),
        "grassroots": (make_admin(tree.grassroots_a1), {"a1"}),
        "township": (make_admin(tree.township_a), {"a1", "a2"}),
        "county": (make_admin(tree.county_a), {"a1", "a2"}),
        "city": (make_admin(tree.city), {"a1", "a2", "b", "i"}),
        "other_city": (make_admin(tree.other_city), {"other"}),
    }
    return apps, roles


def _ids(apps, branches):
    return {a.pk for key in branches for a in apps[key]}


ROLES = ["worker", "grassroots", "township", "county", "city", "other_city"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_list_shows_exactly_the_subtree(client, world, role):
    apps, roles = world
    user, branches = roles[role]
    client.force_login(user)
    response = client.get(reverse(CHANGELIST), {"queue": "all"})
    if role == "worker":
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
        return
    cl = response.context["cl"]
    expected = _ids(apps, branches)
    assert cl.result_count == len(expected)
    assert {o.pk for o in cl.result_list} == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_verb_on_every_object_outside_scope_is_denied(client, world, role):
    apps, roles = world
    user, branches = roles[role]
    client.force_login(user)
    outside = [a for key, items in apps.items() if key not in branches for a in items]
    inside = [a for key in branches for a in apps[key]]
    assert outside
    before = {a.pk: (a.status, a.current_tier_id) for a in Application.objects.all()}
    for app in outside:
        view = client.get(reverse("admin:applications_application_change", args=[app.pk]))
        assert view.status_code in (302, 404), (role, "view", app.pk)
        for decision, data in (
            ("approve", {}),
            ("reject", {"reject-reason": "x"}),
            ("return", {"return-reason": "x", "return-fields_to_fix": ["school"]}),
        ):
            change = client.post(
                reverse("admin:applications_application_change", args=[app.pk]), {"decision": decision, **data}
            )
            assert change.status_code in (302, 404), (role, decision, app.pk)
            if change.status_code == 302:
                assert "/admin/login/" in change["Location"]
        attachment = app.attachments.get()
        download = client.get(reverse("reviews:attachment_preview", args=[attachment.pk]))
        assert download.status_code in (302, 404), (role, "download", app.pk)
        history = client.get(reverse("admin:applications_application_history", args=[app.pk]))
        assert history.status_code in (302, 404) or app.number not in history.content.decode()
    # Bulk actions with forged ids: POST every outside id, confirmed, for every verb.
    forged = [a.pk for a in outside]
    for action, data in (
        ("approve_selected", {}),
        ("reject_selected", {"reason": "x"}),
        ("return_selected", {"reason": "x", "fields_to_fix": ["school"]}),
    ):
        response = client.post(
            reverse(CHANGELIST) + "?queue=all",
            {"action": action, "_selected_action": forged, "confirm": "yes", **data},
        )
        if role != "worker":
            assert response.status_code in (200, 302)
            if response.status_code == 200 and "results" in (response.context or {}):
                assert response.context["results"] == []
    after = {a.pk: (a.status, a.current_tier_id) for a in Application.objects.all()}
    assert after == before
    assert not ReviewDecision.objects.exists()
    # Positive control: inside the scope the same requests work (the test can fail).
    for app in inside:
        assert client.get(reverse("admin:applications_application_change", args=[app.pk])).status_code == 200
        attachment = app.attachments.get()
        assert client.get(reverse("reviews:attachment_preview", args=[attachment.pk])).status_code == 200


@pytest.mark.django_db
def test_forged_ids_mixed_with_own_touch_only_own(client, world):
    apps, roles = world
    user, _ = roles["grassroots"]
    client.force_login(user)
    own = apps["a1"][0]
    forged = [a.pk for key in ("a2", "b", "other") for a in apps[key]]
    response = client.post(
        reverse(CHANGELIST) + "?queue=all",
        {"action": "approve_selected", "_selected_action": [own.pk, *forged], "confirm": "yes"},
    )
    assert response.status_code == 200
    results = response.context["results"]
    assert [r.application_id for r in results] == [own.pk]
    assert response.context["ignored_count"] == len(forged)
    assert set(ReviewDecision.objects.values_list("application_id", flat=True)) == {own.pk}
