"""Issue 15, programmes in stages: Xian'an's year as its seed (003, 附件2) describes it.

Stage 1 (申请助学, spring): only the stamped 推荐表, reviewed by the grassroots union and the
district; the place is taken at this submission. Stage 2 (助学金申报, December): the 录取通知书,
the 学信网 report and the card, reviewed by the district and the university; the enrolment
date and the report's validity are checked here, not in spring. Money only after stage 2.
A stage 2 not submitted by its deadline frees the place to the first on the waitlist.

The tree: 济南市总工会 > 历下区总工会 (owns the programme) > 泉城路街道工会 > 泉城软件公司工会.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ApplicationStatus, Notification, SeatStatus
from applications.services import application_create_draft, application_submit, attachment_upload
from applications.stages import (
    STAGE_REMINDER,
    application_stage_lapse_due,
    application_stage_reminders_send,
    application_stage_submit,
)
from applications.tasks import stage_deadlines_sweep
from quotas.models import COFUNDER_TIER, AdminRole, AllocationMode, DocumentKind, ProgramStage
from quotas.services import cofunder_save, cofunder_staff_create
from reviews import services as reviews
from reviews.models import DecisionKind, ReviewDecision

from ..reviews.conftest import make_admin
from .factories import app_data, jpeg_bytes, make_program, make_tree, make_worker, upload

pytestmark = pytest.mark.django_db

S = ApplicationStatus
SCHOOL = "咸宁职业技术学院"
STAGE_2_PAPERS = [DocumentKind.ADMISSION_LETTER, DocumentKind.CHSI_REPORT, DocumentKind.BANK_CARD]


class Year:
    """A Xian'an-like programme: two stages, places taken at stage 1."""

    def __init__(self, *, places: int = 2, stage2_closes=None):
        t = make_tree()
        self.tree = t
        now = timezone.now()
        self.program = make_program(
            t["county"],
            mode=AllocationMode.AT_SUBMISSION,
            slots=places,
            required_documents=[DocumentKind.RECOMMENDATION, *STAGE_2_PAPERS],
            review_tiers=["grassroots", "county", COFUNDER_TIER],
        )
        ProgramStage.objects.create(
            program=self.program,
            number=1,
            name="申请助学",
            required_documents=[DocumentKind.RECOMMENDATION],
            review_tiers=["grassroots", "county"],
        )
        self.stage2 = ProgramStage.objects.create(
            program=self.program,
            number=2,
            name="助学金申报",
            required_documents=STAGE_2_PAPERS,
            review_tiers=["county", COFUNDER_TIER],
            asks_study_facts=True,
            opens=now - timedelta(days=1),
            closes=stage2_closes or now + timedelta(days=20),
            reminder_days=7,
            grace_days=14,
        )
        self.uni = cofunder_save(program=self.program, name=SCHOOL, schools=[SCHOOL], actor=None)
        self.shop = make_admin(t["shop"], AdminRole.REVIEWER)
        self.district = make_admin(t["county"], AdminRole.MANAGER)
        self.university = cofunder_staff_create(cofunder=self.uni, role=AdminRole.REVIEWER, username="xnzy-r").user

    def spring_draft(self, **facts):
        """A stage-1 draft: school and major chosen, no enrolment facts, only the 推荐表."""
        worker = make_worker(self.tree["shop"])
        data = app_data(school=SCHOOL, enrolled_on=None, chsi_code="", chsi_expires_on=None, **facts)
        app = application_create_draft(worker=worker, program=self.program, data=data, actor=worker.user)
        self.paper(app, DocumentKind.RECOMMENDATION)
        return app

    def paper(self, app, kind):
        attachment_upload(
            application=app, kind=kind, uploaded_file=upload("p.jpg", jpeg_bytes()), actor=app.worker.user
        )

    def submitted(self):
        app = self.spring_draft()
        return application_submit(application=app, actor=app.worker.user)

    def passed_stage_1(self):
        app = self.submitted()
        reviews.application_approve(application=app, reviewer=self.shop)
        reviews.application_approve(application=app, reviewer=self.district)
        app.refresh_from_db()
        return app

    def claim(self, app, **facts):
        """December: the admission letter, the report, the card and the enrolment facts."""
        today = timezone.localdate()
        Application.objects.filter(pk=app.pk).update(
            enrolled_on=facts.get("enrolled_on", today.replace(month=3, day=1)),
            chsi_code="ABCD1234EFGH",
            chsi_expires_on=facts.get("chsi_expires_on", today + timedelta(days=300)),
        )
        app.refresh_from_db()
        for kind in STAGE_2_PAPERS:
            self.paper(app, kind)
        return application_stage_submit(application=app, actor=app.worker.user)


@pytest.fixture
def year():
    return Year()


def test_a_spring_submission_with_only_the_recommendation_takes_a_place(year):
    app = year.submitted()
    assert app.status == S.IN_REVIEW
    assert (app.stage, app.seat_status, app.seat_rank) == (1, SeatStatus.PLACED, 1)
    # Stage 1's own review tiers: the grassroots union, then the district; no university yet.
    assert app.review_chain == [year.tree["shop"].pk, year.tree["county"].pk]
    assert app.cofunder_id is None
    assert app.enrolled_on is None


def test_stage_1_is_not_refused_for_facts_that_only_exist_in_december(year):
    """The enrolment date and the CHSI validity are stage 2's rules (issue 15)."""
    app = year.spring_draft()
    submitted = application_submit(application=app, actor=app.worker.user)
    assert submitted.status == S.IN_REVIEW


def test_a_one_step_programme_still_asks_everything_at_once():
    t = make_tree()
    program = make_program(t["county"], required_documents=[DocumentKind.RECOMMENDATION])
    worker = make_worker(t["shop"])
    data = app_data(enrolled_on=None, chsi_code="", chsi_expires_on=None)
    app = application_create_draft(worker=worker, program=program, data=data, actor=worker.user)
    attachment_upload(
        application=app,
        kind=DocumentKind.RECOMMENDATION,
        uploaded_file=upload("p.jpg", jpeg_bytes()),
        actor=worker.user,
    )
    with pytest.raises(ValidationError) as exc:
        application_submit(application=app, actor=worker.user)
    assert "请填写入学日期。" in exc.value.messages


def test_the_top_of_stage_1_passes_the_stage_and_proposes_no_money(year):
    app = year.passed_stage_1()
    assert app.status == S.STAGE_PASSED
    assert (app.stage, app.current_tier_id, app.seat_status) == (2, None, SeatStatus.PLACED)
    decision = ReviewDecision.objects.filter(application=app).latest("id")
    assert decision.decision == DecisionKind.PASS_STAGE
    from payouts.models import Award

    assert not Award.objects.filter(application=app).exists()
    label = app.events.latest("id").detail["label"]
    assert label == "第1阶段审核通过，请申报第2阶段（助学金申报）"


def test_stage_2_checks_the_enrolment_and_the_report_and_its_papers(year):
    app = year.passed_stage_1()
    with pytest.raises(ValidationError) as exc:
        application_stage_submit(application=app, actor=app.worker.user)
    messages = exc.value.messages
    assert "请填写入学日期。" in messages
    assert "缺少材料：录取通知书。" in messages
    last_year = timezone.localdate().replace(year=timezone.localdate().year - 1)
    with pytest.raises(ValidationError) as exc:
        year.claim(app, enrolled_on=last_year)
    assert any("新入学" in m for m in exc.value.messages)


def test_the_december_claim_goes_to_the_district_then_the_university_then_money(year):
    app = year.passed_stage_1()
    claimed = year.claim(app)
    assert (claimed.status, claimed.stage) == (S.IN_REVIEW, 2)
    assert claimed.review_chain == [year.tree["county"].pk]
    assert claimed.cofunder_id == year.uni.pk
    # The FCFS time and the place stay those of the spring submission.
    assert claimed.submitted_at == app.submitted_at
    assert claimed.seat_rank == 1
    reviews.application_approve(application=claimed, reviewer=year.district)
    claimed.refresh_from_db()
    assert (claimed.status, claimed.current_tier_id) == (S.IN_REVIEW, None)  # at the university
    reviews.application_approve(application=claimed, reviewer=year.university)
    claimed.refresh_from_db()
    assert claimed.status == S.APPROVED
    # Each stage is on the worker's timeline.
    actions = list(claimed.events.values_list("action", flat=True))
    assert actions.index("submit") < actions.index("pass_stage") < actions.index("submit_stage")
    assert actions[-1] == "approve_final"


def test_a_double_click_on_the_stage_2_submit_is_one_submission(year):
    app = year.passed_stage_1()
    year.claim(app)
    again = application_stage_submit(application=app, actor=app.worker.user)
    assert again.status == S.IN_REVIEW
    assert app.events.filter(action="submit_stage").count() == 1


def test_stage_2_before_it_opens_is_refused_with_the_date(year):
    year.stage2.opens = timezone.now() + timedelta(days=3)
    year.stage2.save()
    app = year.passed_stage_1()
    with pytest.raises(ValidationError) as exc:
        year.claim(app)
    assert any("开始申报" in m for m in exc.value.messages)


def test_a_missed_stage_2_deadline_frees_the_place_to_the_waitlist(year):
    first = year.passed_stage_1()
    second = year.submitted()  # places: 2
    waiting = year.submitted()
    assert waiting.seat_status == SeatStatus.WAITLISTED
    reviews.application_approve(application=waiting, reviewer=year.shop)
    reviews.application_approve(application=waiting, reviewer=year.district)
    # The deadline passes without the first worker's claim.
    later = year.stage2.closes + timedelta(minutes=1)
    assert application_stage_lapse_due(now=later) == 2  # the first, and the waitlisted one
    first.refresh_from_db()
    second.refresh_from_db()
    waiting.refresh_from_db()
    assert first.status == S.LAPSED
    assert first.seat_status == SeatStatus.NONE
    assert "补助名额已让给候补职工" in first.events.latest("id").reason
    assert Notification.objects.filter(application=first, title__contains="逾期未申报").exists()
    # The waitlisted worker in stage 2 was past the same deadline too: the same rule.
    assert waiting.status == S.LAPSED
    # Stage 1 in review is not touched by a stage-2 deadline.
    assert (second.status, second.seat_status) == (S.IN_REVIEW, SeatStatus.PLACED)
    assert application_stage_lapse_due(now=later) == 0  # idempotent


def test_the_promoted_worker_is_told_and_gets_the_same_deadline_or_the_grace_days(year):
    from applications.services import application_withdraw

    first = year.passed_stage_1()
    year.passed_stage_1()
    waiting = year.passed_stage_1()  # stage 2 open to them too, while waitlisted
    assert waiting.seat_status == SeatStatus.WAITLISTED
    # Three days before the deadline the first worker gives the place up: the next in line
    # would have three days; the stage gives at least 14.
    now = timezone.now()
    year.stage2.closes = now + timedelta(days=3)
    year.stage2.save()
    application_withdraw(application=first, actor=first.worker.user)
    waiting.refresh_from_db()
    assert waiting.seat_status == SeatStatus.PLACED
    assert waiting.stage_due_at - now >= timedelta(days=14) - timedelta(seconds=5)
    told = Notification.objects.filter(application=waiting).values_list("title", flat=True)
    assert any("候补递补成功" in t for t in told)
    assert any("前提交第2阶段" in t for t in told)
    # Their own deadline, not the stage's: not lapsed when the stage closes.
    assert application_stage_lapse_due(now=now + timedelta(days=4)) == 1  # the third placed
    waiting.refresh_from_db()
    assert waiting.status == S.STAGE_PASSED
    assert application_stage_lapse_due(now=now + timedelta(days=15)) == 1
    waiting.refresh_from_db()
    assert waiting.status == S.LAPSED


def test_a_reminder_goes_out_once_before_the_deadline(year):
    app = year.passed_stage_1()
    year.stage2.closes = timezone.now() + timedelta(days=5)
    year.stage2.save()
    assert application_stage_reminders_send(now=timezone.now()) == 1
    assert application_stage_reminders_send(now=timezone.now()) == 0
    note = Notification.objects.filter(application=app, event__action=STAGE_REMINDER).get()
    assert "第2阶段（助学金申报）将于" in note.title


def test_the_beat_sweep_reminds_and_lapses():
    year = Year(stage2_closes=timezone.now() + timedelta(days=2))
    app = year.passed_stage_1()
    assert stage_deadlines_sweep() == {"reminded": 1, "lapsed": 0}
    Application.objects.filter(pk=app.pk).update(stage_due_at=timezone.now() - timedelta(minutes=1))
    ProgramStage.objects.filter(pk=year.stage2.pk).update(closes=timezone.now() - timedelta(minutes=1))
    assert stage_deadlines_sweep()["lapsed"] == 1


def test_a_withdrawal_between_stages_passes_the_place_on(year):
    from applications.services import application_withdraw

    first = year.passed_stage_1()
    year.submitted()
    waiting = year.submitted()
    application_withdraw(application=first, actor=first.worker.user)
    waiting.refresh_from_db()
    assert (waiting.seat_status, waiting.seat_rank) == (SeatStatus.PLACED, 2)


def test_the_worker_sees_the_stages_as_steps(year, client):
    app = year.passed_stage_1()
    client.force_login(app.worker.user)
    page = client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    assert 'id="stage-steps"' in page
    assert "第1阶段：申请助学" in page and "已通过" in page
    assert "第2阶段：助学金申报" in page and "当前阶段" in page
    assert "录取通知书、学信网学籍在线验证报告、本人银行卡" in page
    assert "截止：" in page
    assert "申报第2阶段" in page
    edit = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    assert 'name="enrolled_on"' in edit  # December asks for the enrolment facts
    assert 'id="stage-next"' in edit
    check = client.get(reverse("applications:submit", args=[app.pk])).content.decode()
    assert "提交第2阶段材料" in check and "缺少材料：录取通知书。" in check


def test_the_spring_form_does_not_ask_for_the_enrolment_facts(year, client):
    app = year.spring_draft()
    client.force_login(app.worker.user)
    edit = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    assert 'name="enrolled_on"' not in edit
    assert 'name="chsi_code"' not in edit
    # Only stage 1's paper has a card now.
    assert 'id="paper-recommendation"' in edit and 'id="paper-admission"' not in edit


def test_the_stage_2_submit_through_the_page(year, client):
    app = year.passed_stage_1()
    today = timezone.localdate()
    client.force_login(app.worker.user)
    resp = client.post(
        reverse("applications:edit", args=[app.pk]),
        {
            "entry": "",
            "level": app.level,
            "school": app.school,
            "major": app.major,
            "enrolled_on": today.replace(month=3, day=1).isoformat(),
            "chsi_code": "ABCD1234EFGH",
            "chsi_expires_on": (today + timedelta(days=300)).isoformat(),
        },
    )
    assert resp.status_code == 302
    for kind in STAGE_2_PAPERS:
        year.paper(app, kind)
    resp = client.post(reverse("applications:submit", args=[app.pk]))
    assert resp.status_code == 302
    app.refresh_from_db()
    assert (app.status, app.stage, app.enrolled_on) == (S.IN_REVIEW, 2, today.replace(month=3, day=1))


def test_the_reviewers_queue_shows_the_stage(year, client):
    app = year.passed_stage_1()
    year.claim(app)
    spring = year.submitted()
    client.force_login(year.district)
    page = client.get(reverse("admin:applications_application_changelist") + "?queue=all").content.decode()
    assert "第2阶段 · 历下区总工会" in page
    client.force_login(year.shop)
    page = client.get(reverse("admin:applications_application_changelist") + "?queue=all").content.decode()
    assert f"{spring.number}" in page and "第1阶段 · 泉城软件公司工会" in page


def test_the_public_home_page_lists_the_stages(year, client):
    page = client.get(reverse("applications:home")).content.decode()
    assert "第1阶段：申请助学" in page and "按上方申请时间，提交即占名额" in page
    assert "第2阶段：助学金申报" in page and "录取通知书、学信网学籍在线验证报告、本人银行卡" in page
