"""The review workflow through the services: tiers, refusals, flags, windows, audit."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import ApplicationEvent, ApplicationStatus, Notification
from applications.workflow import Action
from quotas.models import AdminRole, AuditLog, DocumentKind
from reviews import services
from reviews.flags import FlagCode
from reviews.models import DecisionKind, ReviewDecision
from reviews.services import ReviewRefused

from .conftest import make_admin, make_program, make_submitted, make_worker

S = ApplicationStatus


@pytest.fixture
def reviewers(tree):
    return {
        "grassroots": make_admin(tree.grassroots_a1),
        "township": make_admin(tree.township_a),
        "county": make_admin(tree.county_a),
        "city": make_admin(tree.city),
        "city_manager": make_admin(tree.city, AdminRole.MANAGER),
    }


@pytest.fixture
def app(tree, program):
    return make_submitted(make_worker(tree.grassroots_a1), program)


@pytest.mark.django_db(transaction=True)
def test_full_chain_approval_moves_tier_by_tier_and_tells_the_worker(tree, reviewers, app):
    assert app.review_chain == [tree.grassroots_a1.pk, tree.township_a.pk, tree.county_a.pk, tree.city.pk]
    for key, next_tier in (("grassroots", tree.township_a), ("township", tree.county_a), ("county", tree.city)):
        decision = services.application_approve(application=app, reviewer=reviewers[key], reason=f"{key} 同意")
        app.refresh_from_db()
        assert decision.decision == DecisionKind.APPROVE
        assert app.status == S.IN_REVIEW
        assert app.current_tier_id == next_tier.pk
    final = services.application_approve(application=app, reviewer=reviewers["city"], reason="终审同意")
    app.refresh_from_db()
    assert final.decision == DecisionKind.APPROVE_FINAL
    assert app.status == S.APPROVED
    events = list(app.events.exclude(action=Action.SUBMIT).order_by("id"))
    assert [e.action for e in events] == [Action.APPROVE] * 3 + [Action.APPROVE_FINAL]
    assert [e.tier_id for e in events] == app.review_chain
    # The after-commit notification carries the tier and the reason to the worker.
    note = Notification.objects.get(event=events[-1])
    assert note.user == app.worker.user
    assert "济南市总工会" in note.body and "终审同意" in note.body


@pytest.mark.django_db
def test_return_records_fields_and_reason(tree, reviewers, app):
    decision = services.application_return(
        application=app, reviewer=reviewers["grassroots"], reason="身份证照片不清晰", fields=["doc:id_front", "school"]
    )
    app.refresh_from_db()
    assert app.status == S.RETURNED
    assert app.return_fields == ["doc:id_front", "school"]
    assert app.return_reason == "身份证照片不清晰"
    assert decision.return_fields == ["doc:id_front", "school"]
    assert decision.event.detail["return_labels"] == ["身份证正面", "院校"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reason": "", "fields": ["school"]}, "原因"),
        ({"reason": "请修改", "fields": []}, "勾选"),
        ({"reason": "请修改", "fields": ["id_number"]}, "无法识别"),
    ],
)
def test_return_needs_reason_and_known_fields(reviewers, app, kwargs, message):
    with pytest.raises(ReviewRefused, match=message):
        services.application_return(application=app, reviewer=reviewers["grassroots"], **kwargs)
    app.refresh_from_db()
    assert app.status == S.IN_REVIEW
    assert not ReviewDecision.objects.exists()


@pytest.mark.django_db
def test_reject_needs_a_reason(reviewers, app):
    with pytest.raises(ReviewRefused, match="原因"):
        services.application_reject(application=app, reviewer=reviewers["grassroots"], reason="  ")
    services.application_reject(application=app, reviewer=reviewers["grassroots"], reason="非本单位会员")
    app.refresh_from_db()
    assert app.status == S.REJECTED


def _approve(app, user):
    return services.application_approve(application=app, reviewer=user)


@pytest.mark.django_db
def test_every_illegal_state_action_pair_is_refused(tree, program, reviewers):
    g = reviewers["grassroots"]
    # Approve / return / reject a draft (never submitted): not even visible to reviewers.
    draft_app = make_submitted(make_worker(tree.grassroots_a1), program)
    draft_app.__class__.objects.filter(pk=draft_app.pk).update(status=S.DRAFT)
    for verb in (
        lambda a: _approve(a, g),
        lambda a: services.application_return(application=a, reviewer=g, reason="x", fields=["school"]),
        lambda a: services.application_reject(application=a, reviewer=g, reason="x"),
    ):
        with pytest.raises(ReviewRefused, match="草稿"):
            verb(draft_app)

    # Skip a tier: the county may not act while the application sits at grassroots, nor
    # the city; the township may not act either.
    app = make_submitted(make_worker(tree.grassroots_a1), program)
    for key in ("township", "county", "city", "city_manager"):
        with pytest.raises(ReviewRefused, match="不在本级"):
            _approve(app, reviewers[key])
    # Approve twice at the same tier.
    _approve(app, g)
    with pytest.raises(ReviewRefused, match="不在本级"):
        _approve(app, g)
    # A city admin may act only once the application reached the city tier.
    with pytest.raises(ReviewRefused, match="不在本级"):
        services.application_reject(application=app, reviewer=reviewers["city"], reason="x")

    # Act after rejection, after return, after final approval.
    rejected = make_submitted(make_worker(tree.grassroots_a1), program)
    services.application_reject(application=rejected, reviewer=g, reason="材料不实")
    returned = make_submitted(make_worker(tree.grassroots_a1), program)
    services.application_return(application=returned, reviewer=g, reason="补材料", fields=["doc:chsi"])
    for target, label in ((rejected, "已驳回"), (returned, "退回修改")):
        for verb in (
            lambda a: _approve(a, g),
            lambda a: services.application_return(application=a, reviewer=g, reason="x", fields=["school"]),
            lambda a: services.application_reject(application=a, reviewer=g, reason="x"),
        ):
            with pytest.raises(ReviewRefused, match=label):
                verb(target)

    approved = make_submitted(make_worker(tree.grassroots_a1), program)
    for key in ("grassroots", "township", "county", "city"):
        _approve(approved, reviewers[key])
    approved.refresh_from_db()
    assert approved.status == S.APPROVED
    for key in ("grassroots", "city"):
        with pytest.raises(ReviewRefused, match="审核通过"):
            _approve(approved, reviewers[key])
        with pytest.raises(ReviewRefused, match="审核通过"):
            services.application_reject(application=approved, reviewer=reviewers[key], reason="x")

    # Nothing refused left a trace.
    assert ReviewDecision.objects.count() == 1 + 1 + 1 + 4
    assert ReviewDecision.objects.filter(application=draft_app).count() == 0


@pytest.mark.django_db
def test_non_reviewers_are_refused(tree, app):
    from .conftest import make_user

    plain = make_user("nobody")
    finance = make_admin(tree.grassroots_a1, AdminRole.FINANCE)
    worker_user = app.worker.user
    for user in (plain, finance, worker_user):
        with pytest.raises(ReviewRefused, match="没有审核权限"):
            _approve(app, user)
    other_city_grassroots = make_admin(tree.other_grassroots)
    with pytest.raises(ReviewRefused, match="管辖范围"):
        _approve(app, other_city_grassroots)
    assert not ReviewDecision.objects.exists()


@pytest.mark.django_db
def test_flags_must_each_be_acknowledged_before_approval(tree, program, reviewers):
    worker = make_worker(tree.grassroots_a1, public_sector=True)
    app = make_submitted(worker, program, chsi_days=30)
    with pytest.raises(ReviewRefused, match="风险提示未确认"):
        _approve(app, reviewers["grassroots"])
    with pytest.raises(ReviewRefused, match="职级证明"):
        services.application_approve(
            application=app, reviewer=reviewers["grassroots"], acknowledged_flags=[FlagCode.CHSI_SHORT_VALIDITY]
        )
    decision = services.application_approve(
        application=app,
        reviewer=reviewers["grassroots"],
        acknowledged_flags=[FlagCode.CHSI_SHORT_VALIDITY, FlagCode.PUBLIC_SECTOR_NO_RANK_CERT],
    )
    assert sorted(decision.flags_acknowledged) == sorted(
        [FlagCode.CHSI_SHORT_VALIDITY, FlagCode.PUBLIC_SECTOR_NO_RANK_CERT]
    )
    assert sorted(decision.event.detail["flags_acknowledged"]) == sorted(decision.flags_acknowledged)


@pytest.mark.django_db
def test_review_window_is_enforced_and_only_the_owners_manager_may_override(tree):
    closed = make_program(tree.city, window_open=False)
    city_reviewer = make_admin(tree.city)
    city_manager = make_admin(tree.city, AdminRole.MANAGER)
    county_manager = make_admin(tree.county_a, AdminRole.MANAGER)
    grassroots = make_admin(tree.grassroots_a1)
    app = make_submitted(make_worker(tree.grassroots_a1), closed)
    with pytest.raises(ReviewRefused, match="不在审核期内"):
        _approve(app, grassroots)
    with pytest.raises(ReviewRefused, match="只有本方案主办工会"):
        services.application_approve(application=app, reviewer=grassroots, override_window=True, override_reason="x")

    # Bring the application to the city tier (the lower tiers' windows are not the point).
    from applications.models import Application

    Application.objects.filter(pk=app.pk).update(current_tier=tree.city)
    app.refresh_from_db()
    assert county_manager  # a county manager is below the owner (the city)
    with pytest.raises(ReviewRefused, match="只有本方案主办工会"):
        services.application_approve(application=app, reviewer=city_reviewer, override_window=True, override_reason="x")
    with pytest.raises(ReviewRefused, match="必须填写原因"):
        services.application_approve(application=app, reviewer=city_manager, override_window=True, override_reason="")
    assert not AuditLog.objects.filter(action="review.window_override").exists()

    decision = services.application_approve(
        application=app, reviewer=city_manager, override_window=True, override_reason="系统故障顺延两天"
    )
    assert decision.window_override is True
    assert decision.event.detail["window_override"] is True
    assert decision.event.detail["override_reason"] == "系统故障顺延两天"
    log = AuditLog.objects.get(action="review.window_override")
    assert log.actor == city_manager
    assert log.object_id == str(app.pk)
    assert log.detail["reason"] == "系统故障顺延两天"
    assert log.detail["event_id"] == decision.event_id


@pytest.mark.django_db
def test_override_flag_inside_the_window_is_not_an_override(reviewers, app):
    decision = services.application_approve(
        application=app, reviewer=reviewers["grassroots"], override_window=True, override_reason="无需"
    )
    assert decision.window_override is False
    assert not AuditLog.objects.filter(action="review.window_override").exists()


@pytest.mark.django_db
def test_k_transitions_write_exactly_k_events_and_k_decisions(tree, program, reviewers):
    apps = [make_submitted(make_worker(tree.grassroots_a1), program) for _ in range(6)]
    events_before = ApplicationEvent.objects.count()
    g = reviewers["grassroots"]
    services.application_approve(application=apps[0], reviewer=g)
    services.application_approve(application=apps[0], reviewer=reviewers["township"])
    services.application_return(application=apps[1], reviewer=g, reason="补", fields=["doc:chsi"])
    services.application_reject(application=apps[2], reviewer=g, reason="不符")
    bulk = services.applications_bulk_approve(applications=apps[3:], reviewer=g)
    bulk_again = services.applications_bulk_reject(applications=apps[3:], reviewer=g, reason="重复")
    with pytest.raises(ReviewRefused):
        services.application_approve(application=apps[2], reviewer=g)
    assert all(r.ok for r in bulk) and not any(r.ok for r in bulk_again)
    k = 2 + 1 + 1 + 3
    assert ApplicationEvent.objects.count() - events_before == k
    assert ReviewDecision.objects.count() == k
    # Each decision points at its own event, one to one.
    assert ReviewDecision.objects.values("event").distinct().count() == k


@pytest.mark.django_db
def test_bulk_reports_each_item(tree, program, reviewers):
    ok = make_submitted(make_worker(tree.grassroots_a1), program)
    flagged = make_submitted(make_worker(tree.grassroots_a1, public_sector=True), program)
    elsewhere = make_submitted(make_worker(tree.grassroots_b), program)
    results = services.applications_bulk_approve(
        applications=[ok, flagged, elsewhere], reviewer=reviewers["grassroots"]
    )
    by_id = {r.application_id: r for r in results}
    assert by_id[ok.pk].ok
    assert not by_id[flagged.pk].ok and "职级证明" in by_id[flagged.pk].message
    assert not by_id[elsewhere.pk].ok and "管辖范围" in by_id[elsewhere.pk].message
    results = services.applications_bulk_approve(
        applications=[flagged],
        reviewer=reviewers["grassroots"],
        acknowledged_flags={flagged.pk: [FlagCode.PUBLIC_SECTOR_NO_RANK_CERT]},
    )
    assert results[0].ok


@pytest.mark.django_db
def test_bulk_return_and_reject(tree, program, reviewers):
    apps = [make_submitted(make_worker(tree.grassroots_a1), program) for _ in range(2)]
    results = services.applications_bulk_return(
        applications=apps[:1], reviewer=reviewers["grassroots"], reason="补学信网报告", fields=["doc:chsi"]
    )
    assert results[0].ok
    results = services.applications_bulk_reject(applications=apps, reviewer=reviewers["grassroots"], reason="不符")
    assert [r.ok for r in results] == [False, True]


@pytest.mark.django_db
def test_rejection_in_at_submission_programme_frees_the_seat_and_promotes(tree):
    from applications.models import SeatCounter, SeatStatus
    from quotas.models import FundingSource

    prog = make_program(tree.city, mode="at_submission")
    FundingSource.objects.create(
        program=prog[0], name="区总工会", payer_union=tree.city, amount_yuan=1000, total_slots=1
    )
    placed = make_submitted(make_worker(tree.grassroots_a1), prog)
    waiting = make_submitted(make_worker(tree.grassroots_a2), prog, submitted_at=timezone.now() + timedelta(seconds=1))
    placed.__class__.objects.filter(pk=placed.pk).update(seat_status=SeatStatus.PLACED, seat_rank=1)
    waiting.__class__.objects.filter(pk=waiting.pk).update(seat_status=SeatStatus.WAITLISTED, seat_rank=1)
    # Seats set by hand: the programme's seat counter (applications/seats.py) says the same.
    SeatCounter.objects.update_or_create(program=prog[0], defaults={"placed": 1, "waiting": 1})
    placed.refresh_from_db()
    services.application_reject(application=placed, reviewer=make_admin(tree.grassroots_a1), reason="非一线职工")
    placed.refresh_from_db()
    waiting.refresh_from_db()
    assert placed.status == S.REJECTED and placed.seat_status == SeatStatus.NONE
    assert waiting.seat_status == SeatStatus.PLACED and waiting.seat_rank == 1


@pytest.mark.django_db
def test_rejecting_a_waitlisted_application_frees_its_waitlist_slot(tree):
    # Before the seat counter a rejected waitlisted application kept its slot, so a
    # waitlist limit would have counted it; now its slot goes and the ones behind move up.
    from applications.models import SeatCounter, SeatStatus
    from quotas.models import FundingSource

    prog = make_program(tree.city, mode="at_submission")
    FundingSource.objects.create(
        program=prog[0], name="区总工会", payer_union=tree.city, amount_yuan=1000, total_slots=1
    )
    placed = make_submitted(make_worker(tree.grassroots_a1), prog)
    first = make_submitted(make_worker(tree.grassroots_a2), prog, submitted_at=timezone.now() + timedelta(seconds=1))
    second = make_submitted(make_worker(tree.grassroots_a2), prog, submitted_at=timezone.now() + timedelta(seconds=2))
    model = placed.__class__
    model.objects.filter(pk=placed.pk).update(seat_status=SeatStatus.PLACED, seat_rank=1)
    model.objects.filter(pk=first.pk).update(seat_status=SeatStatus.WAITLISTED, seat_rank=1)
    model.objects.filter(pk=second.pk).update(seat_status=SeatStatus.WAITLISTED, seat_rank=2)
    SeatCounter.objects.update_or_create(program=prog[0], defaults={"placed": 1, "waiting": 2})
    first.refresh_from_db()
    services.application_reject(application=first, reviewer=make_admin(tree.grassroots_a2), reason="非一线职工")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.seat_status, first.seat_rank) == (S.REJECTED, SeatStatus.NONE, None)
    assert (second.seat_status, second.seat_rank) == (SeatStatus.WAITLISTED, 1)
    counter = SeatCounter.objects.get(program=prog[0])
    assert (counter.placed, counter.waiting) == (1, 1)


@pytest.mark.django_db
def test_worker_sees_a_returned_document_by_name_and_marked_to_upload_again(client, tree, reviewers, app):
    # The reviewer's keys ("doc:<kind>") must read as words on the worker's pages, and the
    # document must be marked in the upload list, not shown as an internal key.
    kind = DocumentKind(app.program.required_documents[0])
    services.application_return(
        application=app, reviewer=reviewers["grassroots"], reason="照片不清晰", fields=[f"doc:{kind}", "school"]
    )
    client.force_login(app.worker.user)
    detail = client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    edit = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    for page in (detail, edit):
        assert "doc:" not in page
    assert str(kind.label) in detail and "院校" in detail
    flagged = [card for card in edit.split("<article ") if "flagged" in card.split(">")[0]]  # the paper cards
    assert len(flagged) == 1 and str(kind.label) in flagged[0]
