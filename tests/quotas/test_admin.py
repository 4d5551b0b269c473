"""The admin, driven through Django's test client: scoping, permissions, the import pages."""

import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.urls import reverse

from quotas.models import AdminRole, AuditLog, Quota, Union, UnionLevel
from quotas.quota_tables import quota_table_import, quota_table_preview, quota_table_read
from quotas.services import union_create

from .conftest import JINAN_XLSX, make_admin
from .helpers import xlsx_bytes


@pytest.fixture
def world(small_city):
    source = small_city["source"]
    table = quota_table_read(
        data=xlsx_bytes([(1, "甲区总工会", 40), (2, "乙县总工会", 10), (3, "全市调剂名额", 10)]), filename="t.xlsx"
    )
    quota_table_import(source=source, rows=quota_table_preview(source=source, table=table).rows, actor=None)
    return {
        **small_city,
        "city_admin": make_admin("city_mgr", small_city["city"]),
        "a_admin": make_admin("a_mgr", small_city["a"]),
        "b_admin": make_admin("b_mgr", small_city["b"]),
    }


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_county_admin_sees_exactly_its_subtree(client, world):
    login(client, world["a_admin"])
    unions = client.get(reverse("admin:quotas_union_changelist"))
    assert unions.status_code == 200
    assert unions.context["cl"].result_count == 3  # the county and its two grassroots unions
    assert {u.name for u in unions.context["cl"].result_list} == {"甲区总工会", "甲区基层工会1", "甲区基层工会2"}
    quotas = client.get(reverse("admin:quotas_quota_changelist"))
    assert [q.union for q in quotas.context["cl"].result_list] == [world["a"]]
    assert quotas.context["source_sums"] == [
        {**quotas.context["source_sums"][0], "total": 40, "complete": False}
    ]  # its own row only, not compared with the city's total

    login(client, world["city_admin"])
    assert client.get(reverse("admin:quotas_union_changelist")).context["cl"].result_count == 7
    assert client.get(reverse("admin:quotas_quota_changelist")).context["cl"].result_count == 3


@pytest.mark.django_db
def test_another_countys_objects_are_not_there(client, world):
    login(client, world["a_admin"])
    other_union = client.get(reverse("admin:quotas_union_change", args=[world["b"].pk]))
    other_quota = Quota.objects.get(union=world["b"])
    other_row = client.get(reverse("admin:quotas_quota_change", args=[other_quota.pk]))
    assert other_union.status_code == 404 and other_row.status_code == 404
    assert client.get(reverse("admin:quotas_union_change", args=[world["a"].pk])).status_code == 200


@pytest.mark.django_db
def test_only_the_owner_writes_programme_set_up(client, world):
    program, source = world["program"], world["source"]
    login(client, world["a_admin"])
    page = client.get(reverse("admin:quotas_program_change", args=[program.pk]))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert client.post(reverse("admin:quotas_program_change", args=[program.pk]), {"name": "改"}).status_code == 403
    assert client.get(reverse("admin:quotas_fundingsource_quota_import", args=[source.pk])).status_code == 403
    row = Quota.objects.get(union=world["a"])
    assert client.post(reverse("admin:quotas_quota_change", args=[row.pk]), {"slots": 99}).status_code == 403
    assert Quota.objects.get(pk=row.pk).slots == 40

    login(client, world["city_admin"])
    page = client.get(reverse("admin:quotas_program_change", args=[program.pk]))
    assert page.context["has_change_permission"]
    assert client.get(reverse("admin:quotas_fundingsource_quota_import", args=[source.pk])).status_code == 200


@pytest.mark.django_db
def test_another_citys_source_is_a_404(client, world, jinan_source):
    login(client, world["city_admin"])
    for name in ("quota_import", "quota_export", "apportion"):
        assert client.get(reverse(f"admin:quotas_fundingsource_{name}", args=[jinan_source.pk])).status_code == 404


@pytest.mark.django_db
def test_city_manager_moves_slots_by_hand_and_it_is_audited(client, world):
    login(client, world["city_admin"])
    row = Quota.objects.get(union=world["a"])
    response = client.post(
        reverse("admin:quotas_quota_change", args=[row.pk]), {"slots": 35, "release_unused_at_0": ""}
    )
    assert response.status_code == 302
    assert Quota.objects.get(pk=row.pk).slots == 35
    assert AuditLog.objects.get(action="quota.update").detail["before"] == {"slots": 40}
    listing = client.get(reverse("admin:quotas_quota_changelist") + f"?source__id__exact={world['source'].pk}")
    assert listing.context["source_sums"][0]["total"] == 55
    assert "合计" in listing.content.decode() and "55" in listing.content.decode()


def _upload(client, source, data, name, create_missing=False):
    url = reverse("admin:quotas_fundingsource_quota_import", args=[source.pk])
    payload = {"file": SimpleUploadedFile(name, data)}
    if create_missing:
        payload["create_missing"] = "on"
    response = client.post(url, payload)
    assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
    return response["Location"]


@pytest.mark.django_db
def test_upload_preview_confirm_writes_the_real_jinan_table(client, jinan, jinan_source):
    login(client, make_admin("jinan_mgr", jinan))
    preview_url = _upload(client, jinan_source, JINAN_XLSX.read_bytes(), "济南名额表.xlsx", create_missing=True)
    stored = list((Path(settings.MEDIA_ROOT) / "private" / "imports").iterdir())
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{32}\.xlsx", stored[0].name)

    preview = client.get(preview_url)
    assert preview.status_code == 200
    assert preview.context["preview"].ok and preview.context["preview"].total == 3500
    assert "确认导入" in preview.content.decode()
    assert not Quota.objects.exists()

    token = re.search(r"[?&]t=([^&]+)", preview_url).group(1)
    done = client.post(reverse("admin:quotas_fundingsource_quota_import_preview", args=[jinan_source.pk]), {"t": token})
    assert done.status_code == 302
    assert Quota.objects.filter(source=jinan_source).aggregate(s=Sum("slots"))["s"] == 3500
    assert Quota.objects.filter(source=jinan_source).count() == 57
    assert not stored[0].exists()


@pytest.mark.django_db
def test_a_bad_upload_is_shown_with_its_problems_and_cannot_be_confirmed(client, world):
    source = world["source"]
    login(client, world["city_admin"])
    before = list(Quota.objects.values_list("pk", "slots"))
    bad = xlsx_bytes([(1, "甲区总工会", 40), (2, "丙区总工会", 20)])
    preview_url = _upload(client, source, bad, "bad.xlsx")
    page = client.get(preview_url)
    assert "第4行：单位「丙区总工会」" in page.content.decode()
    assert "确认导入" not in page.content.decode()
    token = re.search(r"[?&]t=([^&]+)", preview_url).group(1)
    again = client.post(reverse("admin:quotas_fundingsource_quota_import_preview", args=[source.pk]), {"t": token})
    assert again.status_code == 200 and not again.context["preview"].ok
    assert list(Quota.objects.values_list("pk", "slots")) == before


@pytest.mark.django_db
def test_a_forged_or_foreign_token_is_refused(client, world):
    source = world["source"]
    login(client, world["city_admin"])
    preview_url = _upload(client, source, xlsx_bytes([(1, "甲区总工会", 50), (2, "乙县总工会", 10)]), "ok.xlsx")
    token = re.search(r"[?&]t=([^&]+)", preview_url).group(1)
    confirm = reverse("admin:quotas_fundingsource_quota_import_preview", args=[source.pk])
    assert client.post(confirm, {"t": token[:-2] + "xx"}).status_code == 302
    other_manager = make_admin("city_mgr2", world["city"])
    login(client, other_manager)
    assert client.post(confirm, {"t": token}).status_code == 302  # token names another user
    assert Quota.objects.get(union=world["a"]).slots == 40
    login(client, world["city_admin"])
    client.post(confirm, {"t": token})
    assert Quota.objects.get(union=world["a"]).slots == 50


@pytest.mark.django_db
def test_export_download_is_a_real_xlsx_and_audited(client, world):
    login(client, world["a_admin"])  # viewing the table is open to the subtree
    response = client.get(reverse("admin:quotas_fundingsource_quota_export", args=[world["source"].pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [sheet.cell(row=r, column=3).value for r in range(3, 6)] == [40, 10, 10]
    log = AuditLog.objects.get(action="quota_table.export")
    assert log.actor == world["a_admin"] and log.actor_union == world["a"]


@pytest.mark.django_db
def test_apportion_page_previews_then_writes(client, world):
    login(client, world["city_admin"])
    url = reverse("admin:quotas_fundingsource_apportion", args=[world["source"].pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"].initial["pool"] == 10
    preview = client.post(url, {"pool": "20", "preview": "1"})
    assert [r.slots for r in preview.context["preview"].rows] == [30, 10, 20]
    assert Quota.objects.get(union=world["a"]).slots == 40
    client.post(url, {"pool": "20", "confirm": "1"})
    assert Quota.objects.get(union=world["a"]).slots == 30
    assert Quota.objects.get(is_pool=True, source=world["source"]).slots == 20


@pytest.mark.django_db
def test_audit_log_is_for_city_staff_only(client, world):
    login(client, world["a_admin"])
    assert client.get(reverse("admin:quotas_auditlog_changelist")).status_code == 403
    login(client, world["city_admin"])
    assert client.get(reverse("admin:quotas_auditlog_changelist")).status_code == 200


@pytest.mark.django_db
def test_county_manager_adds_a_grassroots_union_inside_its_subtree_only(client, world):
    login(client, world["a_admin"])
    url = reverse("admin:quotas_union_add")
    ok = client.post(
        url,
        {"parent": world["a"].pk, "name": "甲区新工会", "code": "379901-9", "level": "grassroots", "member_count": 5},
    )
    assert ok.status_code == 302
    created = Union.objects.get(code="379901-9")
    assert created.path.startswith(world["a"].path) and created.depth == world["a"].depth + 1
    refused = client.post(
        url, {"parent": world["b"].pk, "name": "越权工会", "code": "379902-9", "level": "grassroots", "member_count": 5}
    )
    assert refused.status_code == 200 and "parent" in refused.context["adminform"].form.errors
    assert not Union.objects.filter(code="379902-9").exists()


@pytest.mark.django_db
def test_reviewer_cannot_write_and_district_owner_can(client, world, province):
    reviewer = make_admin("a_rev", world["a"], role=AdminRole.REVIEWER)
    login(client, reviewer)
    assert client.get(reverse("admin:quotas_union_add")).status_code == 403
    city = union_create(name="咸宁市总工会", code="421200", level=UnionLevel.CITY, parent=province)
    district = union_create(name="咸安区总工会", code="421202", level=UnionLevel.COUNTY, parent=city)
    from .conftest import make_program

    _, source = make_program(owner=district, slug="xianan", total=100, uses_unit_quotas=False)
    login(client, make_admin("xianan_mgr", district))
    page = client.get(reverse("admin:quotas_fundingsource_change", args=[source.pk]))
    assert page.status_code == 200 and page.context["has_change_permission"]


def _inline_management(prefix):
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.django_db
def test_city_manager_sets_up_a_programme_with_a_batch_and_it_is_audited(client, world):
    login(client, world["city_admin"])
    data = {
        "owner_union": world["city"].pk,
        "year": "2025",
        "name": "2025年测试市求学圆梦行动",
        "slug": "test-2025",
        "description": "",
        # The lists are Chinese checkboxes (issue 18), no longer JSON typed by hand.
        "eligible_levels": ["benke", "dazhuan"],
        "required_documents": ["form", "chsi"],
        "printed_form": "form",
        "review_tiers": ["city", "grassroots", "county"],
        "allocation_mode": "batch",
        "full_policy": "waitlist",
        "waitlist_limit": "",
        "priority_mode": "none",
        "priority_reserved_places": "0",
        "publicity_days": "7",
        "return_keep_days": "7",
        "chsi_valid_months": "6",
        "one_per_level_ever": "on",
        "is_open": "on",
        **_inline_management("batches"),
        **_inline_management("stages"),
        **_inline_management("sources"),
        **_inline_management("payment_channels"),  # 发放渠道: none besides the bank card
        "batches-TOTAL_FORMS": "1",
        "batches-0-number": "1",
        "batches-0-name": "第1批",
        "batches-0-apply_opens_0": "2025-05-08",
        "batches-0-apply_opens_1": "00:00:00",
        "batches-0-apply_closes_0": "2025-06-06",
        "batches-0-apply_closes_1": "23:59:59",
        "batches-0-review_opens_0": "2025-05-08",
        "batches-0-review_opens_1": "00:00:00",
        "batches-0-review_closes_0": "2025-06-14",
        "batches-0-review_closes_1": "23:59:59",
    }
    response = client.post(reverse("admin:quotas_program_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors or [
        f.errors for f in response.context["inline_admin_formsets"][0].formset
    ]
    from quotas.models import Program

    program = Program.objects.get(slug="test-2025")
    assert program.batches.get().number == 1
    # Stored in the choices' order: tiers from low to high whatever the ticking order.
    assert program.review_tiers == ["grassroots", "county", "city"]
    assert program.eligible_levels == ["dazhuan", "benke"] and program.excluded_categories == []
    assert set(AuditLog.objects.filter(object_type__in=["Program", "Batch"]).values_list("action", flat=True)) == {
        "program.create",
        "batch.create",
    }

    login(client, world["a_admin"])  # the county sees it but cannot add programmes of its own
    assert client.get(reverse("admin:quotas_program_add")).status_code == 403


@pytest.mark.django_db
def test_import_preview_shows_each_lines_old_and_new_slots_and_the_totals_change(client, world):
    source = world["source"]
    login(client, world["city_admin"])
    # Now 甲 40 / 乙 10 / pool 10. The new table moves 5 from 甲 to the pool and drops 乙.
    new = xlsx_bytes([(1, "甲区总工会", 35), (2, "全市调剂名额", 15)])
    page = client.get(_upload(client, source, new, "new.xlsx"))
    preview = page.context["preview"]
    assert [(r.label, r.old_slots, r.slots, r.change) for r in preview.rows] == [
        ("甲区总工会", 40, 35, -5),
        ("全市调剂名额", 10, 15, 5),
    ]
    assert preview.removed == [("乙县总工会", 10)]
    assert (preview.old_total, preview.total, preview.total_change) == (60, 50, -10)
    html = page.content.decode()
    assert 'id="preview-old-total">60<' in html and 'id="preview-total-change">-10<' in html
    assert "当前名额" in html and "新名额" in html and "新表中没有，将删除" in html


@pytest.mark.django_db
def test_apportion_preview_shows_member_counts_beside_the_result_and_confirm_below(client, world):
    login(client, world["city_admin"])
    url = reverse("admin:quotas_fundingsource_apportion", args=[world["source"].pk])
    page = client.post(url, {"pool": "20", "preview": "1"})
    rows = page.context["preview"].rows
    assert [(r.members, r.old_slots, r.slots) for r in rows] == [(3000, 40, 30), (1000, 10, 10), (None, 10, 20)]
    html = page.content.decode()
    table_at, confirm_at = html.index('class="quota-preview"'), html.index('id="apportion-confirm"')
    assert "会员数" in html[:confirm_at] and table_at < confirm_at  # read the table, then confirm
    assert html.index('name="confirm"') > html.index("</table>")
