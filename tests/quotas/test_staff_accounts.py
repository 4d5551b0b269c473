"""Staff accounts and worker accounts are separate; every change of a union admin is
audited (issue 11 case 3)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from quotas.models import AdminRole, AuditLog, UnionAdmin
from quotas.services import union_admin_create
from tests.reviews.conftest import make_worker

from .conftest import make_admin


@pytest.fixture
def city_manager(small_city):
    return make_admin("city_mgr", small_city["city"])


@pytest.mark.django_db
def test_a_worker_account_cannot_be_made_a_union_admin(small_city):
    grassroots = small_city["a"].children.first()
    worker = make_worker(grassroots, phone="13912345678")
    with pytest.raises(ValidationError, match="职工账号"):
        union_admin_create(user=worker.user, union=grassroots, role=AdminRole.REVIEWER)
    assert not UnionAdmin.objects.filter(user=worker.user).exists()
    worker.user.refresh_from_db()
    assert not worker.user.is_staff


@pytest.mark.django_db
def test_the_add_form_lists_only_free_staff_accounts_never_a_workers_phone(client, small_city, city_manager):
    grassroots = small_city["a"].children.first()
    worker = make_worker(grassroots, phone="13912345678")
    # A registered worker who has not filled in the profile yet: username = phone, no Worker row.
    get_user_model().objects.create_user(username="13987654321")
    free_staff = get_user_model().objects.create_user(username="lixia-staff", is_staff=True)
    client.force_login(city_manager)
    page = client.get(reverse("admin:quotas_unionadmin_add"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "13912345678" not in html and "13987654321" not in html and worker.user.username not in html
    choices = list(page.context["adminform"].form.fields["user"].queryset)
    assert choices == [free_staff]
    # A forged POST with the worker's account is refused by the form, on the page.
    forged = client.post(
        reverse("admin:quotas_unionadmin_add"),
        {"user": worker.user.pk, "union": grassroots.pk, "role": AdminRole.REVIEWER},
    )
    assert forged.status_code == 200 and "user" in forged.context["adminform"].form.errors
    assert not UnionAdmin.objects.filter(user=worker.user).exists()


@pytest.mark.django_db
def test_union_admin_create_change_delete_are_audited(client, small_city, city_manager):
    county = small_city["a"]
    client.force_login(city_manager)
    created = client.post(
        reverse("admin:quotas_unionadmin_add"),
        {
            "username": "a-reviewer",
            "password": "Stronger-Pass-2024",
            "union": county.pk,
            "role": AdminRole.REVIEWER,
            "id_number": "370102199001011234",
            "phone": "13800001111",
        },
    )
    assert created.status_code == 302, created.context["adminform"].form.errors
    admin_row = UnionAdmin.objects.get(user__username="a-reviewer")
    assert admin_row.user.is_staff and admin_row.user.check_password("Stronger-Pass-2024")
    assert admin_row.id_number_masked == "3701**********1234" and admin_row.phone_masked == "138****1111"
    assert "370102199001011234" not in admin_row.id_number_encrypted + admin_row.id_number_hmac
    log = AuditLog.objects.get(action="union_admin.create", actor=city_manager)
    assert log.actor == city_manager and log.detail["after"]["union"] == county.name
    assert log.detail["after"]["id_number"] == "3701**********1234"

    changed = client.post(
        reverse("admin:quotas_unionadmin_change", args=[admin_row.pk]),
        {"union": county.pk, "role": AdminRole.MANAGER, "id_number": "", "phone": "", "bank_card": ""},
    )
    assert changed.status_code == 302, changed.context["adminform"].form.errors
    log = AuditLog.objects.get(action="union_admin.update")
    assert log.detail["before"] == {"role": AdminRole.REVIEWER} and log.detail["after"] == {"role": AdminRole.MANAGER}
    admin_row.refresh_from_db()
    assert admin_row.id_number_masked == "3701**********1234"  # left empty: kept

    deleted = client.post(reverse("admin:quotas_unionadmin_delete", args=[admin_row.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert not UnionAdmin.objects.filter(pk=admin_row.pk).exists()
    log = AuditLog.objects.get(action="union_admin.delete")
    assert log.actor == city_manager and log.detail["before"]["user"] == "a-reviewer"
    user = get_user_model().objects.get(username="a-reviewer")
    assert not user.is_staff


@pytest.mark.django_db
def test_own_numbers_must_be_ascii_digits(client, small_city, city_manager):
    client.force_login(city_manager)
    page = client.post(
        reverse("admin:quotas_unionadmin_add"),
        {"username": "x", "password": "Stronger-Pass-2024", "union": small_city["a"].pk, "role": "reviewer",
         "id_number": "٣٧٠١٠٢١٩٩٠٠١٠١١٢٣٤"},
    )  # fmt: skip
    assert page.status_code == 200 and "身份证号格式不正确" in page.content.decode()
    assert not UnionAdmin.objects.filter(user__username="x").exists()
