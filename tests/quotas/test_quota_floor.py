"""Quotas never drop below what is given (issue 11 case 5): admin edit, import, transfer
and apportionment all go through one checked slot write, which says by how much; the
transfer page; set-up edits audited with before and after (point 4)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from payouts.allocation.quota_adjust import quota_transfer
from payouts.models import Award, AwardStatus, AwardVia
from quotas.models import AuditLog, Batch, FundingSource, Program, Quota
from quotas.quota_tables import QuotaTableError, quota_table_import, quota_table_preview, quota_table_read
from quotas.services import quota_slots_set, setup_object_save
from tests.allocation.factories import applications

from .conftest import make_admin
from .helpers import xlsx_bytes

FLOOR_A = "「甲区总工会」：该单位已公示/发放 3 个名额，名额不能少于 3（少 1 个）"


def table(rows):
    return quota_table_read(data=xlsx_bytes(rows), filename="t.xlsx")


@pytest.fixture
def world(small_city):
    """Rows 甲区 40, 乙县 10, pool 10; 甲区 has given 3 places (published, paid, failed),
    the pool 1 (paid), and one more of 甲区 is only proposed (not given yet)."""
    source = small_city["source"]
    rows = quota_table_preview(
        source=source, table=table([(1, "甲区总工会", 40), (2, "乙县总工会", 10), (3, "全市调剂名额", 10)])
    ).rows
    quota_table_import(source=source, rows=rows, actor=None)
    a_row = Quota.objects.get(source=source, union=small_city["a"])
    pool = Quota.objects.get(source=source, is_pool=True)
    apps = applications(small_city["program"], small_city["a"], [None] * 5)
    for app, status, via in zip(
        apps,
        [AwardStatus.PUBLISHED, AwardStatus.PAID, AwardStatus.FAILED, AwardStatus.PROPOSED, AwardStatus.PAID],
        [AwardVia.UNIT_QUOTA] * 4 + [AwardVia.POOL],
        strict=True,
    ):
        Award.objects.create(
            application=app,
            source=source,
            amount_yuan=1000,
            via=via,
            quota=a_row if via == AwardVia.UNIT_QUOTA else None,
            status=status,
        )
    return {
        **small_city,
        "a_row": a_row,
        "b_row": Quota.objects.get(source=source, union=small_city["b"]),
        "pool": pool,
        "city_admin": make_admin("city_mgr", small_city["city"]),
        "a_admin": make_admin("a_mgr", small_city["a"]),
    }


def slots_of(*rows):
    return [Quota.objects.get(pk=r.pk).slots for r in rows]


@pytest.mark.django_db
def test_admin_edit_below_the_places_given_is_refused_and_says_by_how_much(client, world):
    client.force_login(world["city_admin"])
    url = reverse("admin:quotas_quota_change", args=[world["a_row"].pk])
    refused = client.post(url, {"slots": 2, "release_unused_at_0": ""})
    assert refused.status_code == 200
    assert FLOOR_A in refused.content.decode()
    assert slots_of(world["a_row"]) == [40]
    assert not AuditLog.objects.filter(action="quota.update").exists()
    with pytest.raises(ValidationError, match="少 1 个"):
        quota_slots_set(quota=world["a_row"], slots=2, actor=world["city_admin"])
    # Down to exactly the places given is fine (the proposed award is not given yet).
    assert client.post(url, {"slots": 3, "release_unused_at_0": ""}).status_code == 302
    assert slots_of(world["a_row"]) == [3]
    log = AuditLog.objects.get(action="quota.update")
    assert log.detail["before"] == {"slots": 40} and log.detail["after"] == {"slots": 3}


@pytest.mark.django_db
def test_an_import_below_the_places_given_is_refused(world):
    source = world["source"]
    preview = quota_table_preview(
        source=source, table=table([(1, "甲区总工会", 2), (2, "乙县总工会", 58), (3, "全市调剂名额", 0)])
    )
    messages = [p.message for p in preview.problems]
    assert FLOOR_A in messages
    assert "「全市调剂名额」：该单位已公示/发放 1 个名额，名额不能少于 1（少 1 个）" in messages
    with pytest.raises(QuotaTableError, match="少 1 个"):
        quota_table_import(source=source, rows=preview.rows, actor=None)
    assert slots_of(world["a_row"], world["b_row"], world["pool"]) == [40, 10, 10]


@pytest.mark.django_db
def test_apportionment_cannot_write_below_the_places_given(client, world):
    world["a"].member_count, world["b"].member_count = 1, 1000
    for union in (world["a"], world["b"]):
        union.save(update_fields=["member_count"])
    client.force_login(world["city_admin"])
    url = reverse("admin:quotas_fundingsource_apportion", args=[world["source"].pk])
    page = client.post(url, {"pool": 10, "confirm": "1"})
    assert page.status_code == 200 and "名额不能少于 3（少 3 个）" in page.content.decode()
    assert slots_of(world["a_row"], world["b_row"]) == [40, 10]


@pytest.mark.django_db
def test_a_transfer_below_the_places_given_is_refused(world):
    with pytest.raises(ValidationError, match="少 1 个"):
        quota_transfer(
            from_quota=world["a_row"], to_quota=world["b_row"], slots=38, actor=world["city_admin"], reason="调剂"
        )
    with pytest.raises(ValidationError, match="名额不能少于 1（少 1 个）"):
        quota_transfer(
            from_quota=world["pool"], to_quota=world["b_row"], slots=10, actor=world["city_admin"], reason="调剂"
        )
    assert slots_of(world["a_row"], world["b_row"], world["pool"]) == [40, 10, 10]
    assert not AuditLog.objects.filter(action="quota.transfer").exists()


@pytest.mark.django_db
def test_the_transfer_page_moves_places_with_a_reason_and_refuses_what_it_must(client, world):
    url = reverse("admin:quotas_fundingsource_quota_transfer", args=[world["source"].pk])
    # Reachable from the quota list of the source.
    client.force_login(world["city_admin"])
    listing = client.get(reverse("admin:quotas_quota_changelist") + f"?source__id__exact={world['source'].pk}")
    assert url in listing.content.decode()
    page = client.get(url)
    assert page.status_code == 200 and "名额调剂" in page.content.decode()
    assert [r["given"] for r in page.context["rows"]] == [3, 0, 1]
    a, b = world["a_row"].pk, world["b_row"].pk
    no_reason = client.post(url, {"from_quota": a, "to_quota": b, "slots": 5, "reason": ""})
    assert no_reason.status_code == 200 and "reason" in no_reason.context["form"].errors
    below = client.post(url, {"from_quota": a, "to_quota": b, "slots": 38, "reason": "乙县申请人多"})
    assert below.status_code == 200 and FLOOR_A in below.content.decode()
    assert slots_of(world["a_row"], world["b_row"]) == [40, 10]
    done = client.post(url, {"from_quota": a, "to_quota": b, "slots": 5, "reason": "乙县申请人多"}, follow=True)
    assert "已从「甲区总工会」调出 5 个名额到「乙县总工会」" in done.content.decode()
    assert slots_of(world["a_row"], world["b_row"]) == [35, 15]
    log = AuditLog.objects.get(action="quota.transfer")
    assert log.actor == world["city_admin"] and log.detail["reason"] == "乙县申请人多"
    assert (log.detail["from_before"], log.detail["from_after"]) == (40, 35)
    # A county manager is not the programme's owner: told so, nothing moves.
    client.force_login(world["a_admin"])
    refused = client.post(url, {"from_quota": b, "to_quota": a, "slots": 5, "reason": "要回来"}, follow=True)
    assert "只有本方案主办工会（测试市总工会）及上级工会的管理员可以调剂名额" in refused.content.decode()
    assert slots_of(world["a_row"], world["b_row"]) == [35, 15]


@pytest.mark.django_db
def test_set_up_edits_record_before_and_after_from_the_database(world):
    program = Program.objects.get(pk=world["program"].pk)
    old_name = program.name
    # As the admin does: the form writes onto the instance before the service sees it.
    program.name, program.publicity_days = "改名后的方案", 5
    setup_object_save(obj=program, actor=world["city_admin"], changed_fields=["name", "publicity_days"])
    log = AuditLog.objects.get(action="program.update")
    assert log.detail["before"] == {"name": old_name, "publicity_days": 7}
    assert log.detail["after"] == {"name": "改名后的方案", "publicity_days": 5}
    source = FundingSource.objects.get(pk=world["source"].pk)
    source.amount_yuan = 1500
    setup_object_save(obj=source, actor=world["city_admin"], changed_fields=["amount_yuan"])
    log = AuditLog.objects.get(action="fundingsource.update")
    assert log.detail["before"] == {"amount_yuan": 1000} and log.detail["after"] == {"amount_yuan": 1500}
    batch = Batch.objects.create(
        program=program,
        number=9,
        apply_opens="2024-05-01T00:00+08:00",
        apply_closes="2024-06-01T00:00+08:00",
        review_opens="2024-05-01T00:00+08:00",
        review_closes="2024-06-10T00:00+08:00",
    )
    batch = Batch.objects.get(pk=batch.pk)
    batch.review_closes = batch.review_closes.replace(day=20)
    setup_object_save(obj=batch, actor=world["city_admin"], changed_fields=["review_closes"])
    log = AuditLog.objects.get(action="batch.update")
    assert log.detail["changed"] == ["review_closes"]
    assert log.detail["before"]["review_closes"].startswith("2024-06-09T16:00")
    assert log.detail["after"]["review_closes"].startswith("2024-06-20")
