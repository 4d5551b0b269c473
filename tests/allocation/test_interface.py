"""The run page, its status JSON, the usage export, the command, quota moves, the task."""

import io
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from payouts.allocation.quota_adjust import quota_release_due, quota_transfer
from payouts.allocation.services import allocation_run, allocation_run_start
from payouts.models import AllocationRun, Award, AwardStatus
from quotas.models import AuditLog, Quota

from . import factories as f
from .test_scenarios import Jinan

pytestmark = pytest.mark.django_db


@pytest.fixture
def jinan():
    j = Jinan()
    j.apply(j.lixia_firm, [1, 2, 3], j.b1)
    j.apply(j.shizhong, [4], j.b1)
    return j


def test_run_page_dry_run_then_real_run(client, jinan, django_capture_on_commit_callbacks):
    client.force_login(jinan.staff)
    url = reverse("payouts:allocation_program", args=[jinan.prog.slug])
    assert "运行分配" in client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"batch": jinan.b1.pk, "dry_run": "on"})
    run = AllocationRun.objects.get()
    assert response.url == reverse("payouts:allocation_run", args=[run.pk])
    status = client.get(reverse("payouts:allocation_run_status", args=[run.pk])).json()
    assert (status["status"], status["progress"]) == ("done", 100)
    assert not Award.objects.exists()  # a dry run writes nothing
    page = client.get(response.url).content.decode()
    assert "模拟运行" in page and "历下区总工会" in page and "allocation.js" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"batch": ""})
    assert Award.objects.filter(source=jinan.city_money).count() == 4
    assert AuditLog.objects.filter(action="allocation.run").count() == 1


def test_only_the_owners_managers_may_run(client, jinan):
    reviewer = f.city_staff(jinan.lixia, "lixia-manager")  # a county manager, below the owner
    client.force_login(reviewer)
    told = client.get(reverse("payouts:allocation_program", args=[jinan.prog.slug]), follow=True).content.decode()
    assert "只有本方案主办工会（济南市总工会）及上级工会的管理员可以运行分配" in told
    with pytest.raises(Exception, match="只有本方案主办工会"):
        allocation_run(program=jinan.prog, actor=reviewer)
    with pytest.raises(Exception, match="只有本方案主办工会"):
        allocation_run_start(program=jinan.prog, batch=None, actor=reviewer)
    # The county sees its own line of the usage table, not the others'.
    page = client.get(reverse("payouts:allocation_usage", args=[jinan.prog.slug])).content.decode()
    assert "历下区总工会" in page and "市中区总工会" not in page


def test_usage_xlsx_has_the_quota_table_shape_plus_usage(client, jinan):
    allocation_run(program=jinan.prog, actor=jinan.staff)
    client.force_login(jinan.staff)
    url = reverse("payouts:allocation_usage_xlsx", args=[jinan.prog.slug, jinan.city_money.pk])
    response = client.get(url)
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "名额使用情况" in rows[0][0]
    assert rows[1] == ["序号", "单位", "拟补贴人数", "已审核通过", "已分配", "调剂获补", "未获补助", "候补", "剩余"]
    # 历下: 3 approved, 2 by its quota (the third went to the pool); 市中: 1 of 1;
    # pool: 1 of 2 used; 合计 approved counts people once (pool line holds only the unlisted).
    # 调剂获补: 历下's third was served by the pool. Same columns as the page.
    assert rows[2:] == [
        [1, "历下区总工会", 2, 3, 2, 1, 0, 0, 0],
        [2, "市中区总工会", 1, 1, 1, 0, 0, 0, 0],
        [3, "济南公共交通集团有限公司工会", 1, 0, 0, 0, 0, 0, 1],
        [4, "全市调剂名额", 2, 0, 1, 0, 0, 0, 1],
        [None, "合计", 6, 4, 4, 0, 0, 0, 2],  # the pool line already counts what it served
    ]
    assert AuditLog.objects.filter(action="allocation.usage_export").exists()


def test_manage_py_allocate(jinan):
    out = io.StringIO()
    call_command("allocate", "--program", jinan.prog.slug, "--batch", "1", "--dry-run", stdout=out)
    assert "模拟运行" in out.getvalue() and "新增4" in out.getvalue()
    assert not Award.objects.exists()
    call_command("allocate", "--program", jinan.prog.slug, stdout=io.StringIO())
    assert Award.objects.filter(source=jinan.city_money).count() == 4


def test_quota_transfer_keeps_published_slots_and_is_audited(jinan):
    allocation_run(program=jinan.prog, actor=jinan.staff)
    Award.objects.update(status=AwardStatus.PUBLISHED)
    lixia = Quota.objects.get(source=jinan.city_money, union=jinan.lixia)
    pool = Quota.objects.get(source=jinan.city_money, is_pool=True)
    with pytest.raises(ValidationError, match="名额不能少于 2（少 1 个）"):
        quota_transfer(from_quota=lixia, to_quota=pool, slots=1, actor=jinan.staff, reason="调剂")
    with pytest.raises(ValidationError, match="调整原因"):
        quota_transfer(from_quota=pool, to_quota=lixia, slots=1, actor=jinan.staff, reason=" ")
    quota_transfer(from_quota=pool, to_quota=lixia, slots=1, actor=jinan.staff, reason="历下申请人数多")
    assert (Quota.objects.get(pk=lixia.pk).slots, Quota.objects.get(pk=pool.pk).slots) == (3, 1)
    log = AuditLog.objects.get(action="quota.transfer")
    assert log.detail["reason"] == "历下申请人数多" and log.actor == jinan.staff


def test_quota_release_due_moves_unused_slots_to_the_pool_once(jinan):
    allocation_run(program=jinan.prog, actor=jinan.staff)
    now = timezone.now()
    Quota.objects.filter(source=jinan.city_money, union=jinan.bus).update(release_unused_at=now - timedelta(hours=1))
    Quota.objects.filter(source=jinan.city_money, union=jinan.shizhong).update(
        release_unused_at=now + timedelta(days=1)
    )
    assert quota_release_due(now=now) == 1  # 公交集团 used 0 of 1
    assert quota_release_due(now=now) == 0
    assert Quota.objects.get(source=jinan.city_money, union=jinan.bus).slots == 0
    assert Quota.objects.get(source=jinan.city_money, is_pool=True).slots == 3
    assert Quota.objects.get(source=jinan.city_money, union=jinan.shizhong).release_unused_at is not None


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_run_through_a_real_celery_worker(celery_worker_process):
    j = Jinan()
    j.apply(j.lixia_firm, [1, 2, 3], j.b1)
    run = allocation_run_start(program=j.prog, batch=None, actor=j.staff)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (AllocationRun.Status.DONE, AllocationRun.Status.FAILED):
            break
        time.sleep(0.2)
    assert run.status == AllocationRun.Status.DONE, run.message
    assert run.progress == 100
    assert Award.objects.filter(source=j.city_money, run=run).count() == 3
    assert [s["created"] for s in run.result["sources"]] == [3, 2, 3]
