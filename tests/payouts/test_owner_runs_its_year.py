"""Issue 12: every programme's owner runs its own year. On the demo's data, Xian'an's and
Conghua's district accounts take their programme from approved applications through the
allocation, the 公示 and an objection, to payout lists, the export and the bank return, on
the pages, as ``jinan_city`` does (on 62bc61e they got HTTP 403 at the allocation)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.demo import demo_workers_load
from applications.models import Application, ApplicationStatus
from payouts.models import AllocationRun, Award, ExportStatus, ObjectionStatus, PayoutLineStatus, PayoutList, Publicity
from payouts.publicity.services import objection_submit
from qiuxue.crypto import decrypt_text
from quotas.demo import load_quota_demo
from quotas.models import Program, Union

from .conftest import end_period

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    result = load_quota_demo()
    demo_workers_load()
    return result


def _text(response) -> str:
    return response.content.decode()


def test_demo_union_codes_do_not_collide(demo):
    """Xian'an's streets and its direct grassroots unions used to share codes, so the last
    written overwrote the first: all of them exist, each under its right parent."""
    district = Union.objects.get(name="咸安区总工会")
    children = set(Union.objects.filter(parent=district).values_list("name", flat=True))
    assert {"温泉街道工会", "永安街道工会", "咸安区人民医院工会", "咸安经济开发区企业联合工会"} <= children
    hospital = Union.objects.get(name="咸安区人民医院工会")
    assert not hospital.children.exists()  # not the parent of two company unions
    wenquan = Union.objects.get(name="温泉街道工会", parent=district)
    assert set(wenquan.children.values_list("name", flat=True)) == {
        "咸宁市某纺织有限公司工会",
        "温泉街道快递物流联合工会",
    }
    codes = list(Union.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    load_quota_demo()  # idempotent
    assert Union.objects.count() == len(codes)


@pytest.mark.parametrize(
    ("slug", "username", "owner"),
    [("xianan-2026", "xianan_district", "咸安区总工会"), ("conghua-2023", "conghua_district", "从化区总工会")],
)
def test_the_district_account_runs_its_whole_year_on_the_pages(
    demo, client, django_capture_on_commit_callbacks, slug, username, owner
):
    program = Program.objects.get(slug=slug)
    batch = program.batches.get(number=1)
    approved = Application.objects.filter(program=program, status=ApplicationStatus.APPROVED).count()
    assert approved >= 6
    client.force_login(get_user_model().objects.get(username=username))

    # Allocation: offered in the admin, the run page opens, a run writes the awards.
    assert "运行分配" in _text(client.get(reverse("admin:payouts_allocationrun_changelist")))
    run_url = reverse("payouts:allocation_program", args=[slug])
    page = client.get(run_url)
    assert page.status_code == 200 and "运行分配" in _text(page)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(run_url, {"batch": batch.pk})
    run = AllocationRun.objects.get(program=program)
    assert response.status_code == 302 and run.status == AllocationRun.Status.DONE, run.message
    assert Award.objects.filter(application__program=program).exists()

    # The 公示: offered, published.
    assert "发布公示" in _text(client.get(reverse("admin:payouts_publicity_changelist")))
    response = client.post(reverse("admin:payouts_publicity_open"), {"program": program.pk, "batch": batch.pk})
    assert response.status_code == 302
    publicity = Publicity.objects.get(program=program, batch=batch)

    # An objection from the public, decided by the district on its page.
    objection = objection_submit(
        publicity=publicity,
        token=publicity.entries.first().token,
        contact_name="丁",
        contact_phone="13912345678",
        reason="请核实其学籍。",
    )
    form = _text(client.get(reverse("admin:payouts_objection_change", args=[objection.pk])))
    assert "提交处理结果" in form
    client.post(
        reverse("admin:payouts_objection_decide", args=[objection.pk]), {"decision": "dismissed", "note": "学籍无误。"}
    )
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.DISMISSED

    # Payout lists: offered, built once the period has run.
    end_period(publicity)
    assert "生成发放名单" in _text(client.get(reverse("admin:payouts_payoutlist_changelist")))
    response = client.post(reverse("admin:payouts_payoutlist_build"), {"program": program.pk, "batch": batch.pk})
    assert response.status_code == 302
    lists = list(PayoutList.objects.filter(program=program).order_by("pk"))
    assert lists

    for payout_list in lists:
        change = _text(client.get(reverse("admin:payouts_payoutlist_change", args=[payout_list.pk])))
        assert "生成导出文件" in change and "导入银行回盘" in change
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("payouts:payout_export_start", args=[payout_list.pk]))
        payout_list.refresh_from_db()
        assert payout_list.export_status == ExportStatus.DONE
        download = client.get(reverse("payouts:payout_download", args=[payout_list.pk]))
        assert download.status_code == 200

        lines = list(payout_list.lines.order_by("sequence"))
        csv_text = "序号,姓名,身份证号码,发放结果,失败原因\n" + "".join(
            f"{ln.sequence},{ln.name},{decrypt_text(ln.id_number_encrypted)},成功,\n" for ln in lines
        )
        upload = SimpleUploadedFile("return.csv", csv_text.encode("gb18030"), content_type="text/csv")
        response = client.post(reverse("payouts:payout_bank_return", args=[payout_list.pk]), {"file": upload})
        assert response.status_code == 302
        assert payout_list.lines.filter(status=PayoutLineStatus.PAID).count() == len(lines)

    assert program.owner_union.name == owner


def test_a_sibling_district_is_told_why_and_offered_nothing(demo, client):
    """Conghua's account on Xian'an's programme: no run link, the run page says who may."""
    client.force_login(get_user_model().objects.get(username="conghua_district"))
    changelist = _text(client.get(reverse("admin:payouts_allocationrun_changelist")))
    assert "运行分配：2026年咸安区" not in changelist
    response = client.get(reverse("payouts:allocation_program", args=["xianan-2026"]))
    assert response.status_code == 403
    assert "无权查看该实施方案" in _text(response)  # the reason, on the page
