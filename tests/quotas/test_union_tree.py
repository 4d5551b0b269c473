"""The union tree is edited from above only (issue 11 case 4): a union's own managers cannot
relabel or move it, an ancestor's can, a change that would alter a live review chain is
refused, and every change is audited with before and after as the database held them."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from quotas.models import AuditLog, UnionLevel
from quotas.selectors import review_chain_for
from quotas.services import union_create, union_update
from tests.reviews.conftest import make_program, make_submitted, make_worker

from .conftest import make_admin


@pytest.fixture
def world(small_city):
    a = small_city["a"]
    return {
        **small_city,
        "g_a1": a.children.order_by("path").first(),
        "city_admin": make_admin("city_mgr", small_city["city"]),
        "a_admin": make_admin("a_mgr", a),
    }


def post_union(client, union, **changes):
    union.refresh_from_db()
    data = {
        "parent": union.parent_id,
        "name": union.name,
        "code": union.code,
        "level": union.level,
        "member_count": union.member_count,
        **changes,
    }
    return client.post(reverse("admin:quotas_union_change", args=[union.pk]), data)


def form_errors(response) -> str:
    return " ".join(str(e) for e in response.context["adminform"].form.non_field_errors())


@pytest.mark.django_db
def test_a_county_manager_cannot_relabel_its_own_union_as_city(client, world):
    a, city = world["a"], world["city"]
    client.force_login(world["a_admin"])
    refused = post_union(client, a, level=UnionLevel.CITY)
    assert refused.status_code == 200
    assert "只能由上级工会的管理员修改" in form_errors(refused)
    a.refresh_from_db()
    assert a.level == UnionLevel.COUNTY
    assert not AuditLog.objects.filter(action="union.update").exists()
    # The next submission is still reviewed by the city.
    chain = review_chain_for(union=world["g_a1"], tiers=["grassroots", "county", "city"])
    assert [u.pk for u in chain] == [world["g_a1"].pk, a.pk, city.pk]
    # Neither the service nor a forged parent lets it out from under the city.
    with pytest.raises(ValidationError, match="上级工会的管理员"):
        union_update(union=a, actor=world["a_admin"], level=UnionLevel.CITY)
    with pytest.raises(ValidationError):
        union_update(union=a, actor=world["a_admin"], parent=world["b"])
    a.refresh_from_db()
    assert a.parent_id == city.pk and a.level == UnionLevel.COUNTY
    # Its member count it still keeps itself.
    assert post_union(client, a, member_count=3100).status_code == 302


@pytest.mark.django_db
def test_the_city_relabels_and_renames_a_county_audited_with_real_before_and_after(client, world):
    a = world["a"]
    client.force_login(world["city_admin"])
    response = post_union(client, a, level=UnionLevel.INDUSTRY, name="甲区产业工会")
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.level, a.name) == (UnionLevel.INDUSTRY, "甲区产业工会")
    log = AuditLog.objects.get(action="union.update")
    assert log.actor == world["city_admin"]
    assert log.detail["before"] == {"level": "county", "name": "甲区总工会"}
    assert log.detail["after"] == {"level": "industry", "name": "甲区产业工会"}


@pytest.mark.django_db
def test_a_change_of_a_union_on_a_live_review_chain_is_refused(client, world):
    a, g_a1 = world["a"], world["g_a1"]
    app = make_submitted(make_worker(g_a1), make_program(world["city"]))
    assert a.pk in app.review_chain
    client.force_login(world["city_admin"])
    for union, change in ((a, {"level": UnionLevel.INDUSTRY}), (g_a1, {"parent": world["b"].pk})):
        refused = post_union(client, union, **change)
        assert refused.status_code == 200
        assert "1 件申请正在审核中" in form_errors(refused)
    a.refresh_from_db()
    g_a1.refresh_from_db()
    assert a.level == UnionLevel.COUNTY and g_a1.parent_id == a.pk
    # A rename changes no chain: allowed.
    assert post_union(client, a, name="甲区总工会（新）").status_code == 302


@pytest.mark.django_db
def test_the_city_moves_a_union_and_its_subtree_is_re_pathed(client, world):
    g_a1, b = world["g_a1"], world["b"]
    child = union_create(parent=g_a1, name="分会", code="x-1", level=UnionLevel.GRASSROOTS)
    client.force_login(world["city_admin"])
    assert post_union(client, g_a1, parent=b.pk).status_code == 302
    g_a1.refresh_from_db()
    child.refresh_from_db()
    assert g_a1.parent_id == b.pk and g_a1.path.startswith(b.path) and g_a1.depth == b.depth + 1
    assert child.path == f"{g_a1.path}{child.pk:06d}." and child.depth == g_a1.depth + 1
    log = AuditLog.objects.get(action="union.update")
    assert log.detail["before"]["parent_id"] == world["a"].pk and log.detail["after"]["parent_id"] == b.pk
    assert log.detail["after"]["parent_name"] == b.name
    # A county manager cannot move a union of its own subtree out of it.
    client.force_login(world["a_admin"])
    g_a2 = world["a"].children.exclude(pk=g_a1.pk).get()
    refused = post_union(client, g_a2, parent=b.pk)
    assert refused.status_code == 200 and "parent" in refused.context["adminform"].form.errors
