"""Issue 12, organisations that are not unions: Xian'an's universities review after the
union tiers, each its own students (the application's school), never the union tree
(seed 003: "经区总工会、高校审核申报信息").

The tree: 济南市总工会 > 历下区总工会 (owns the programme) > 泉城路街道工会 > 泉城软件公司工会;
two universities of the programme, each answering for its own school."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications.models import ApplicationStatus
from applications.services import application_submit
from quotas.audit import AuditAction
from quotas.models import COFUNDER_TIER, AdminRole, AuditLog, CoFunderStaff
from quotas.services import cofunder_save, cofunder_staff_create, union_admin_create
from reviews import services
from reviews.models import DecisionKind, ReviewDecision
from tests.applications.factories import make_program, make_ready_application, make_tree, make_worker

from .conftest import make_admin, make_user

pytestmark = pytest.mark.django_db

SCHOOL_A, SCHOOL_B = "咸宁职业技术学院", "荆楚理工学院"


class World:
    def __init__(self, *, tiers=("grassroots", "county", COFUNDER_TIER)):
        t = make_tree()
        self.tree = t
        self.program = make_program(t["county"], review_tiers=list(tiers))
        self.uni_a = cofunder_save(program=self.program, name=SCHOOL_A, schools=[SCHOOL_A], actor=None)
        self.uni_b = cofunder_save(program=self.program, name=SCHOOL_B, schools=[SCHOOL_B], actor=None)
        self.shop = make_admin(t["shop"], AdminRole.REVIEWER)
        self.district = make_admin(t["county"], AdminRole.MANAGER)
        self.reviewer_a = cofunder_staff_create(
            cofunder=self.uni_a, role=AdminRole.REVIEWER, username="xnzy-reviewer"
        ).user
        self.reviewer_b = cofunder_staff_create(
            cofunder=self.uni_b, role=AdminRole.REVIEWER, username="jclg-reviewer"
        ).user
        self.finance_a = cofunder_staff_create(cofunder=self.uni_a, role=AdminRole.FINANCE, username="xnzy-fin").user

    def submitted(self, school: str):
        worker = make_worker(self.tree["shop"])
        app = make_ready_application(worker, self.program, school=school)
        return application_submit(application=app, actor=worker.user)

    def at_university(self, school: str):
        app = self.submitted(school)
        services.application_approve(application=app, reviewer=self.shop)
        services.application_approve(application=app, reviewer=self.district)
        app.refresh_from_db()
        return app


@pytest.fixture
def world():
    return World()


def test_submission_fixes_the_university_of_the_school(world):
    app = world.submitted(SCHOOL_A)
    # The union tiers as before; the university of the school after them.
    assert app.review_chain == [world.tree["shop"].pk, world.tree["county"].pk]
    assert app.current_tier_id == world.tree["shop"].pk and app.cofunder_id == world.uni_a.pk
    worker = make_worker(world.tree["shop"])
    draft = make_ready_application(worker, world.program, school="山东开放大学")
    with pytest.raises(ValidationError) as refused:
        application_submit(application=draft, actor=worker.user)
    assert "不是本方案的合作高校" in " ".join(refused.value.messages)


def test_the_chain_goes_through_the_union_tiers_then_the_university(world):
    app = world.submitted(SCHOOL_A)
    services.application_approve(application=app, reviewer=world.shop)
    services.application_approve(application=app, reviewer=world.district)
    app.refresh_from_db()
    # Past the district: in review, at no union tier, waiting for its university.
    assert app.status == ApplicationStatus.IN_REVIEW and app.current_tier_id is None
    event = app.events.order_by("-id").first()
    assert event.detail["label"] == f"审核通过，报{SCHOOL_A}审核"
    # The district may not decide again for the university.
    with pytest.raises(services.ReviewRefused, match="不在本级"):
        services.application_approve(application=app, reviewer=world.district)

    decision = services.application_approve(application=app, reviewer=world.reviewer_a, reason="学籍核实无误")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.APPROVED
    assert decision.decision == DecisionKind.APPROVE_FINAL
    assert decision.tier_cofunder_id == world.uni_a.pk and decision.tier_union_id is None
    audit = AuditLog.objects.get(action=AuditAction.REVIEW_COFUNDER_DECIDE)
    assert audit.actor == world.reviewer_a and audit.detail["actor_cofunder"] == SCHOOL_A


def test_a_programme_without_the_university_step_is_as_today():
    world = World(tiers=("grassroots", "county"))
    app = world.submitted(SCHOOL_A)
    assert app.cofunder_id is None
    services.application_approve(application=app, reviewer=world.shop)
    decision = services.application_approve(application=app, reviewer=world.district)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.APPROVED and decision.decision == DecisionKind.APPROVE_FINAL
    assert decision.tier_union_id == world.tree["county"].pk
    with pytest.raises(services.ReviewRefused):
        services.application_reject(application=app, reviewer=world.reviewer_a, reason="x")


def test_a_university_decides_only_its_own_students_at_its_step(world):
    at_union = world.submitted(SCHOOL_A)  # still at the grassroots union
    mine = world.at_university(SCHOOL_A)
    theirs = world.at_university(SCHOOL_B)

    with pytest.raises(services.ReviewRefused, match="仍在工会审核"):
        services.application_approve(application=at_union, reviewer=world.reviewer_a)
    with pytest.raises(services.ReviewRefused, match="不是本校"):
        services.application_approve(application=theirs, reviewer=world.reviewer_a)
    # Finance may not review.
    with pytest.raises(services.ReviewRefused, match="没有审核权限"):
        services.application_approve(application=mine, reviewer=world.finance_a)
    assert ReviewDecision.objects.filter(tier_cofunder__isnull=False).count() == 0

    # Like any tier: return for correction, or reject with a reason.
    services.application_return(
        application=mine, reviewer=world.reviewer_a, reason="学信网报告不清晰", fields=["doc:chsi"]
    )
    mine.refresh_from_db()
    assert mine.status == ApplicationStatus.RETURNED
    services.application_reject(application=theirs, reviewer=world.reviewer_b, reason="查无此学籍")
    theirs.refresh_from_db()
    assert theirs.status == ApplicationStatus.REJECTED
    assert set(ReviewDecision.objects.values_list("tier_cofunder__name", "decision")) >= {
        (SCHOOL_A, DecisionKind.RETURN),
        (SCHOOL_B, DecisionKind.REJECT),
    }


def test_the_university_queue_is_its_students_at_its_step_never_the_union_tree(world, client):
    at_union = world.submitted(SCHOOL_A)
    mine = world.at_university(SCHOOL_A)
    theirs = world.at_university(SCHOOL_B)
    client.force_login(world.reviewer_a)
    page = client.get(reverse("admin:applications_application_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert mine.number in text and at_union.number not in text and theirs.number not in text
    # The other two are not there for this account at all.
    for other in (at_union, theirs):
        assert client.get(reverse("admin:applications_application_change", args=[other.pk])).status_code == 404
    # Its page offers the decision; an approval there is final.
    review = client.get(reverse("admin:applications_application_change", args=[mine.pk]))
    assert "审核办理" in review.content.decode() and "高校审核" in review.content.decode()
    response = client.post(
        reverse("admin:applications_application_change", args=[mine.pk]),
        {"decision": "approve", "approve-reason": "学籍核实无误"},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == ApplicationStatus.APPROVED
    # The union tree's pages are not a university's.
    assert client.get(reverse("admin:quotas_union_changelist")).status_code == 403


def test_a_worker_or_union_account_cannot_be_made_university_staff(world):
    worker = make_worker(world.tree["shop"])
    with pytest.raises(ValidationError, match="是职工账号"):
        cofunder_staff_create(cofunder=world.uni_a, role=AdminRole.REVIEWER, user=worker.user)
    with pytest.raises(ValidationError, match="是工会管理员账号"):
        cofunder_staff_create(cofunder=world.uni_a, role=AdminRole.REVIEWER, user=world.shop)
    # Nor the other way round: a university's account is not union staff.
    with pytest.raises(ValidationError, match="高校工作人员账号"):
        union_admin_create(user=world.reviewer_a, union=world.tree["shop"], role=AdminRole.REVIEWER)
    assert not CoFunderStaff.objects.filter(user__in=[worker.user, world.shop]).exists()
    audit = AuditLog.objects.filter(action=AuditAction.COFUNDER_STAFF_CREATE)
    assert audit.count() == 3


def test_a_school_belongs_to_one_university_of_a_programme(world):
    with pytest.raises(ValidationError, match="已属于本方案的其他资助单位"):
        cofunder_save(program=world.program, name="另一所大学", schools=[SCHOOL_A], actor=None)
    # Only the owner's managers set them up.
    with pytest.raises(Exception, match="修改实施方案设置"):
        cofunder_save(program=world.program, name="另一所大学", schools=["某大学"], actor=world.shop)
    user = make_user("someone")
    with pytest.raises(Exception, match="修改实施方案设置"):
        cofunder_staff_create(cofunder=world.uni_a, username="x", actor=user)


def test_the_worker_and_the_dashboard_see_the_university_step(world, client):
    from payouts.dashboard.selectors import dashboard_stats

    app = world.at_university(SCHOOL_A)
    client.force_login(app.worker.user)
    page = client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    assert f"当前由{SCHOOL_A}审核（核实学籍）" in page
    stats = dashboard_stats(program=world.program, scope=world.tree["county"])
    assert stats.totals.by_tier[COFUNDER_TIER] == 1 and stats.totals.by_tier["county"] == 0
