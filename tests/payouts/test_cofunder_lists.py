"""Issue 12: the university money is paid by each university to its own students (seed 003:
"高校补助1000元"). One payout list per university, built, exported and recorded (bank
return) by that university's finance; the district (the owner) sees and may act on all."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ApplicationStatus
from payouts.models import Award, AwardVia, ExportStatus, PayoutLineStatus, PayoutList
from payouts.payout.selectors import payout_lists_visible_to
from payouts.payout.services import payout_list_build, payout_lists_build_for_batch
from payouts.publicity.services import publicity_open
from qiuxue.crypto import decrypt_text
from quotas import permissions as p
from quotas.models import COFUNDER_TIER, AdminRole, Batch, FundingSource, PayerRule, Program, UnionLevel
from quotas.services import cofunder_save, cofunder_staff_create, union_create

from .conftest import end_period, id_number_ending_x, luhn_complete, make_worker, staff

pytestmark = pytest.mark.django_db

SCHOOLS = ("咸宁职业技术学院", "荆楚理工学院")


class World:
    def __init__(self):
        city = union_create(name="咸宁市总工会", code="u-421200", level=UnionLevel.CITY)
        self.district = union_create(name="咸安区总工会", code="u-421202", level=UnionLevel.COUNTY, parent=city)
        sibling = union_create(name="嘉鱼县总工会", code="u-421221", level=UnionLevel.COUNTY, parent=city)
        shop = union_create(name="咸安某公司工会", code="u-421202-g", level=UnionLevel.GRASSROOTS, parent=self.district)
        self.program = Program.objects.create(
            owner_union=self.district,
            year=2026,
            name="2026年咸安区求学圆梦行动",
            slug="u-xianan",
            review_tiers=["grassroots", "county", COFUNDER_TIER],
            publicity_days=7,
        )
        now = timezone.now()
        self.batch = Batch.objects.create(
            program=self.program,
            number=1,
            apply_opens=now - timedelta(days=60),
            apply_closes=now - timedelta(days=30),
            review_opens=now - timedelta(days=60),
            review_closes=now - timedelta(days=20),
        )
        self.union_money = FundingSource.objects.create(
            program=self.program, name="区总工会助学金", payer_union=self.district, amount_yuan=1000, total_slots=100
        )
        self.uni_money = FundingSource.objects.create(
            program=self.program,
            name="高校助学金",
            payer_rule=PayerRule.APPLICANT_COFUNDER,
            amount_yuan=1000,
            matching_of=self.union_money,
            position=1,
        )
        self.unis = [cofunder_save(program=self.program, name=s, schools=[s], actor=None) for s in SCHOOLS]
        self.users = {
            "district_manager": staff(self.district, AdminRole.MANAGER, "d-manager"),
            "district_finance": staff(self.district, AdminRole.FINANCE, "d-finance"),
            "district_reviewer": staff(self.district, AdminRole.REVIEWER, "d-reviewer"),
            "sibling_finance": staff(sibling, AdminRole.FINANCE, "s-finance"),
        }
        for i, uni in enumerate(self.unis):
            for role in (AdminRole.FINANCE, AdminRole.MANAGER, AdminRole.REVIEWER):
                self.users[f"uni{i}_{role}"] = cofunder_staff_create(
                    cofunder=uni, role=role, username=f"u{i}-{role}"
                ).user
        # Three students of the first university, two of the second; approved, money proposed.
        self.students = {0: [], 1: []}
        for n in range(5):
            which = 0 if n < 3 else 1
            worker = make_worker(
                n=n,
                union=shop,
                name=f"学员{n}",
                employer="咸安某公司",
                id_number=id_number_ending_x(n),
                card=luhn_complete(f"622202160200{n:06d}"),
            )
            app = Application.objects.create(
                number=f"XA2026-{n:05d}",
                worker=worker,
                program=self.program,
                batch=self.batch,
                level="gsz",
                school=SCHOOLS[which],
                major="护理",
                enrolled_on=date(2026, 3, 1),
                chsi_code=f"X{n:07d}",
                chsi_expires_on=date(2027, 3, 1),
                status=ApplicationStatus.APPROVED,
                cofunder=self.unis[which],
                submitted_at=now - timedelta(days=40, minutes=-n),
            )
            self.students[which].append(app)
            for source, via in ((self.union_money, AwardVia.TOTAL), (self.uni_money, AwardVia.MATCHING)):
                Award.objects.create(
                    application=app,
                    source=source,
                    batch=self.batch,
                    amount_yuan=1000,
                    via=via,
                    payer_union=self.district if source == self.union_money else None,
                    rank=n + 1,
                )
        publicity = publicity_open(program=self.program, batch=self.batch, actor=self.users["district_manager"])
        end_period(publicity)

    def lists_of(self, uni):
        return PayoutList.objects.filter(program=self.program, payer_cofunder=uni)


@pytest.fixture
def world():
    return World()


def test_the_district_builds_one_list_per_university_of_its_own_students(world):
    built = payout_lists_build_for_batch(
        program=world.program, batch=world.batch, actor=world.users["district_finance"]
    )
    assert sorted((pl.source.name, pl.payer_name, pl.row_count, pl.total_yuan) for pl in built) == [
        ("区总工会助学金", "咸安区总工会", 5, 5000),
        ("高校助学金", "咸宁职业技术学院", 3, 3000),
        ("高校助学金", "荆楚理工学院", 2, 2000),
    ]
    for i, uni in enumerate(world.unis):
        payout_list = world.lists_of(uni).get()
        assert "咸宁职业技术学院" in payout_list.title if i == 0 else "荆楚理工学院" in payout_list.title
        paid = set(payout_list.lines.values_list("award__application_id", flat=True))
        assert paid == {a.pk for a in world.students[i]}
    # The district sees them all; each university only its own.
    district_sees = set(payout_lists_visible_to(world.users["district_reviewer"]))
    assert district_sees == set(built)
    assert list(payout_lists_visible_to(world.users["uni0_finance"])) == [world.lists_of(world.unis[0]).get()]


def test_a_universitys_finance_builds_its_own_list_only(world):
    mine, theirs = world.unis
    built = payout_lists_build_for_batch(program=world.program, batch=world.batch, actor=world.users["uni0_finance"])
    assert [(pl.payer_cofunder_id, pl.row_count) for pl in built] == [(mine.pk, 3)]
    assert not PayoutList.objects.exclude(pk=built[0].pk).exists()  # not the union's, not the other's
    with pytest.raises(PermissionDenied, match="荆楚理工学院"):
        payout_list_build(
            program=world.program,
            source=world.uni_money,
            batch=world.batch,
            payer_cofunder=theirs,
            actor=world.users["uni0_finance"],
        )
    with pytest.raises(PermissionDenied):
        payout_lists_build_for_batch(program=world.program, batch=world.batch, actor=world.users["uni0_reviewer"])


def test_permissions_on_a_universitys_list(world):
    payout_lists_build_for_batch(program=world.program, batch=world.batch, actor=None)
    first, second = (world.lists_of(u).get() for u in world.unis)
    union_list = PayoutList.objects.get(program=world.program, source=world.union_money)
    may = {"district_manager", "district_finance", "uni0_finance", "uni0_manager"}
    for check in (p.may_export_payout_list, p.may_record_bank_return, p.may_reissue_payout_list):
        allowed = {name for name, user in world.users.items() if check(user=user, payout_list=first)}
        assert allowed == may, check.__name__
        refused = check(user=world.users["uni1_finance"], payout_list=first)
        assert not refused and "咸宁职业技术学院" in refused.reason
        assert not check(user=world.users["uni0_finance"], payout_list=second)
        assert not check(user=world.users["uni0_finance"], payout_list=union_list)
    building = {
        name
        for name, user in world.users.items()
        if p.may_build_payout_lists(user=user, program=world.program, payer_cofunder=world.unis[0])
    }
    assert building == may


def test_a_universitys_finance_exports_and_records_its_list_on_the_pages(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.users["uni0_finance"])
    # The build page is offered and builds its own list.
    assert "生成发放名单" in client.get(reverse("admin:payouts_payoutlist_changelist")).content.decode()
    response = client.post(
        reverse("admin:payouts_payoutlist_build"), {"program": world.program.pk, "batch": world.batch.pk}
    )
    assert response.status_code == 302
    payout_list = world.lists_of(world.unis[0]).get()
    change = client.get(reverse("admin:payouts_payoutlist_change", args=[payout_list.pk])).content.decode()
    assert "生成导出文件" in change and "导入银行回盘" in change
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("payouts:payout_export_start", args=[payout_list.pk]))
    payout_list.refresh_from_db()
    assert payout_list.export_status == ExportStatus.DONE
    assert client.get(reverse("payouts:payout_download", args=[payout_list.pk])).status_code == 200
    lines = list(payout_list.lines.order_by("sequence"))
    csv_text = "序号,姓名,身份证号码,发放结果,失败原因\n" + "".join(
        f"{ln.sequence},{ln.name},{decrypt_text(ln.id_number_encrypted)},成功,\n" for ln in lines
    )
    upload = SimpleUploadedFile("return.csv", csv_text.encode("gb18030"), content_type="text/csv")
    response = client.post(reverse("payouts:payout_bank_return", args=[payout_list.pk]), {"file": upload})
    assert response.status_code == 302
    assert payout_list.lines.filter(status=PayoutLineStatus.PAID).count() == 3

    # The other university's list is not there for this account.
    payout_lists_build_for_batch(program=world.program, batch=world.batch, actor=None)
    other = world.lists_of(world.unis[1]).get()
    assert client.get(reverse("payouts:payout_download", args=[other.pk])).status_code == 404
    assert client.get(reverse("admin:payouts_payoutlist_change", args=[other.pk])).status_code == 404
