"""Every function of ``quotas.permissions`` on a real tree (issue 12): authority comes from
the programme's owner, not from a union's level.

The tree: 湖北省总工会 > 咸宁市总工会 > {咸安区总工会 (owns the district programme), 嘉鱼县总工会
(a sibling district)}; 咸安区总工会 > 咸安区人民医院工会. The city also owns a programme of its
own, with county matching lists paid by each of the two districts."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from applications.models import Application, ApplicationStatus
from payouts.models import Objection, PayoutList, Publicity
from quotas import permissions as p
from quotas.models import AdminRole, FundingSource, PayerRule, Program, UnionLevel
from quotas.services import union_create
from tests.applications.factories import make_worker

from .conftest import staff

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent


class World:
    def __init__(self):
        self.province = union_create(name="湖北省总工会", code="p-420000", level=UnionLevel.PROVINCE)
        self.city = union_create(name="咸宁市总工会", code="p-421200", level=UnionLevel.CITY, parent=self.province)
        self.owner = union_create(name="咸安区总工会", code="p-421202", level=UnionLevel.COUNTY, parent=self.city)
        self.sibling = union_create(name="嘉鱼县总工会", code="p-421221", level=UnionLevel.COUNTY, parent=self.city)
        self.below = union_create(
            name="咸安区人民医院工会", code="p-421202-g01", level=UnionLevel.GRASSROOTS, parent=self.owner
        )
        self.program = Program.objects.create(
            owner_union=self.owner, year=2026, name="2026年咸安区求学圆梦行动", slug="p-xianan", review_tiers=["county"]
        )
        self.source = FundingSource.objects.create(
            program=self.program, name="区总工会助学金", payer_union=self.owner, amount_yuan=1000, total_slots=100
        )
        self.city_program = Program.objects.create(
            owner_union=self.city, year=2026, name="2026年咸宁市求学圆梦行动", slug="p-xianning", review_tiers=["city"]
        )
        city_money = FundingSource.objects.create(
            program=self.city_program, name="市级补助", payer_union=self.city, amount_yuan=500, total_slots=10
        )
        matching = FundingSource.objects.create(
            program=self.city_program,
            name="县区配套",
            payer_rule=PayerRule.APPLICANT_COUNTY,
            amount_yuan=500,
            matching_of=city_money,
        )
        self.owner_list = self._list(self.program, self.source, self.owner)  # paid by the owner itself
        self.owner_pays = self._list(self.city_program, matching, self.owner)  # the owner district pays
        self.sibling_pays = self._list(self.city_program, matching, self.sibling)
        self.users = {
            "owner_manager": staff(self.owner, AdminRole.MANAGER, "owner-manager"),
            "owner_finance": staff(self.owner, AdminRole.FINANCE, "owner-finance"),
            "owner_reviewer": staff(self.owner, AdminRole.REVIEWER, "owner-reviewer"),
            "city_manager": staff(self.city, AdminRole.MANAGER, "city-manager"),
            "city_finance": staff(self.city, AdminRole.FINANCE, "city-finance"),
            "province_manager": staff(self.province, AdminRole.MANAGER, "province-manager"),
            "sibling_manager": staff(self.sibling, AdminRole.MANAGER, "sibling-manager"),
            "sibling_finance": staff(self.sibling, AdminRole.FINANCE, "sibling-finance"),
            "below_manager": staff(self.below, AdminRole.MANAGER, "below-manager"),
        }
        worker = make_worker(self.below)
        application = Application.objects.create(
            number="XA2026-00001",
            worker=worker,
            program=self.program,
            level="zsb",
            school="湖北第二师范学院",
            major="学前教育",
            enrolled_on=date(2026, 3, 1),
            chsi_code="XA00000001",
            chsi_expires_on=date(2027, 3, 1),
            status=ApplicationStatus.APPROVED,
        )
        now = timezone.now()
        publicity = Publicity.objects.create(
            program=self.program, title="公示", starts_at=now, ends_at=now + timedelta(days=7)
        )
        self.objection = Objection.objects.create(
            publicity=publicity, application=application, contact_name="丁", contact_phone="13912345678", reason="x"
        )

    @staticmethod
    def _list(program, source, payer):
        return PayoutList.objects.create(
            program=program, source=source, payer_union=payer, payer_name=payer.name, title=f"{payer.name}名单"
        )

    def who(self, check, **target) -> set[str]:
        return {name for name, user in self.users.items() if check(user=user, **target).allowed}


@pytest.fixture
def world():
    return World()


OWNER_MANAGERS = {"owner_manager", "city_manager", "province_manager"}
OWNER_MONEY = OWNER_MANAGERS | {"owner_finance", "city_finance"}


@pytest.mark.parametrize(
    ("check", "act"),
    [
        (p.may_run_allocation, "运行分配"),
        (p.may_override_review_window, "在审核期外办理"),
        (p.may_set_up_program, "修改实施方案设置"),
    ],
)
def test_manager_steps_belong_to_the_owner_and_above(world, check, act):
    # Owner's manager, managers above; not the sibling district, not the union below, not
    # the owner's finance or reviewer.
    assert world.who(check, program=world.program) == OWNER_MANAGERS
    refused = check(user=world.users["sibling_manager"], program=world.program)
    assert refused.reason == f"只有本方案主办工会（咸安区总工会）及上级工会的管理员可以{act}。"
    with pytest.raises(PermissionDenied, match="咸安区总工会"):
        check(user=world.users["below_manager"], program=world.program).require()
    check(user=world.users["owner_manager"], program=world.program).require()  # no raise


def test_quota_moves_and_objections_belong_to_the_owners_managers(world):
    assert world.who(p.may_move_quota, source=world.source) == OWNER_MANAGERS
    assert world.who(p.may_decide_objection, objection=world.objection) == OWNER_MANAGERS
    reason = p.may_decide_objection(user=world.users["owner_finance"], objection=world.objection).reason
    assert reason == "只有本方案主办工会（咸安区总工会）及上级工会的管理员可以处理公示异议。"


def test_money_steps_are_for_the_owners_managers_and_finance(world):
    assert world.who(p.may_open_publicity, program=world.program) == OWNER_MONEY
    assert world.who(p.may_build_payout_lists, program=world.program) == OWNER_MONEY
    reason = p.may_build_payout_lists(user=world.users["owner_reviewer"], program=world.program).reason
    assert reason == "只有本方案主办工会（咸安区总工会）及上级工会的管理员或财务可以生成发放名单。"


@pytest.mark.parametrize("check", [p.may_export_payout_list, p.may_record_bank_return, p.may_reissue_payout_list])
def test_a_paying_county_handles_its_own_lists_and_not_the_others(world, check):
    # The owner's own list (the district programme): the owner side only.
    assert world.who(check, payout_list=world.owner_list) == OWNER_MONEY
    # The city's programme: the city side, and the paying district's manager and finance
    # for the list it pays, never the sibling's list; never a reviewer.
    city_side = {"city_manager", "city_finance", "province_manager"}
    assert world.who(check, payout_list=world.owner_pays) == city_side | {"owner_manager", "owner_finance"}
    assert world.who(check, payout_list=world.sibling_pays) == city_side | {"sibling_manager", "sibling_finance"}
    reason = check(user=world.users["owner_finance"], payout_list=world.sibling_pays).reason
    assert "咸宁市总工会" in reason and "嘉鱼县总工会" in reason


def test_a_paying_county_may_build_the_lists_it_pays(world):
    finance = world.users["owner_finance"]
    assert p.may_build_payout_lists(user=finance, program=world.city_program, payer_union=world.owner).allowed
    assert not p.may_build_payout_lists(user=finance, program=world.city_program, payer_union=world.sibling).allowed
    assert not p.may_build_payout_lists(user=finance, program=world.city_program).allowed
    reviewer = world.users["owner_reviewer"]
    assert not p.may_build_payout_lists(user=reviewer, program=world.city_program, payer_union=world.owner).allowed


def test_audit_log_and_dashboard(world):
    # The audit log: managers and finance of the root union or of a union that runs, or is
    # above, a programme (the province here is both).
    assert world.who(p.may_view_audit_log) == OWNER_MONEY
    assert world.who(p.may_view_audit_log, program=world.program) == OWNER_MONEY
    # The dashboard: everyone inside the owner's subtree or above it; not the sibling.
    everyone = set(world.users)
    assert world.who(p.may_view_dashboard, program=world.program) == everyone - {"sibling_manager", "sibling_finance"}


def test_a_new_programme_is_set_up_from_the_root_or_by_a_union_that_runs_one(world):
    # The province is the root of its tree; the city and the district already run one.
    assert world.who(p.may_set_up_program) == OWNER_MANAGERS
    assert "新的实施方案" in p.may_set_up_program(user=world.users["sibling_manager"]).reason


def test_nobody_without_a_union_account_may_do_anything(world):
    from django.contrib.auth.models import AnonymousUser

    for check, target in (
        (p.may_run_allocation, {"program": world.program}),
        (p.may_export_payout_list, {"payout_list": world.owner_list}),
        (p.may_view_dashboard, {"program": world.program}),
        (p.may_view_audit_log, {}),
    ):
        assert not check(user=AnonymousUser(), **target).allowed
        assert not check(user=None, **target).allowed


# --- the rule is kept in the code ------------------------------------------------------------

# Where the levels may still be named: their definition, the review chain's tier mapping,
# the quota-table reader's guess of a unit's level, the county of a worker (who pays the
# matching money), and the data builders. Authority decisions are none of these.
LEVELS_ALLOWED_IN = {"quotas/models.py", "quotas/selectors.py", "quotas/quota_tables/matching.py"}


def _code_files():
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "tests/", "bench/")) or "/migrations/" in rel or rel.endswith("demo.py"):
            continue
        yield rel, path.read_text(encoding="utf-8")


def test_no_authority_decision_tests_a_union_level():
    files = dict(_code_files())
    assert "quotas/permissions.py" in files
    assert not [rel for rel, text in files.items() if "user_is_city_staff" in text]
    assert not [rel for rel, text in files.items() if "OVERRIDE_LEVELS" in text]
    named = {
        rel
        for rel, text in files.items()
        if any(name in text for name in ("UnionLevel.CITY", "UnionLevel.PROVINCE", "UnionLevel.COUNTY"))
    }
    assert named <= LEVELS_ALLOWED_IN, named - LEVELS_ALLOWED_IN
    permissions = files["quotas/permissions.py"]
    assert ".level" not in permissions and "UnionLevel" not in permissions
