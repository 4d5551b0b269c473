"""The writes of programmes in stages (Xian'an, seed 003 附件2: 申请助学 in spring with the
推荐表, 助学金申报 in December with the 录取通知书 and the 学信网 report).

Stage 1 is the ordinary submit (``services.application_submit``): it takes the place of an
at-submission programme, first come first served. Its top tier's approval passes the stage
(``reviews.services``: status 本阶段通过); the worker then adds the next stage's facts and
papers and submits them here, to that stage's review tiers. Money is proposed only after
the last stage's approval (status 审核通过, as in a one-step programme). A later stage not
submitted by its deadline lapses (逾期未申报): the place passes to the first on the waitlist,
who is told and gets the same deadline, but never less than the stage's ``grace_days``.
Every sweep here is idempotent (beat may tick twice).
"""

from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from quotas.models import Program, ProgramStage
from quotas.selectors import review_chain_pick
from quotas.stages import stage_rule

from .models import Application, ApplicationEvent, ApplicationStatus
from .progress import ProgressStep, application_progress_record
from .services import _check_owner, _cofunder_of, _lock_for_submit, _reasons_at, seat_release_and_promote
from .stage_rules import STAGE_WAITING_STATUSES, local_text, promoted_due, stage_due_of, stage_window_reasons
from .submit_facts import submit_facts_of
from .workflow import Action, application_instance_sync, application_transition

S = ApplicationStatus
STAGE_REMINDER = "stage_reminder"
STAGE_DUE_SET = "stage_due_set"


def application_stage_submit(
    *, application: Application, actor: AbstractBaseUser, now: datetime | None = None
) -> Application:
    """Submit the next stage's facts and papers (status 本阶段通过 → 审核中 at that stage's
    first tier). The FCFS time and the place stay those of stage 1. A second click finds the
    stage in review and gets it back as success."""
    with transaction.atomic():
        app = _lock_for_submit(application)
        now = now or timezone.now()
        _check_owner(app, actor)
        if app.status == S.IN_REVIEW and app.stage > 1:
            return app
        if app.status != S.STAGE_PASSED:
            raise ValidationError(
                _("申请当前为“%(status)s”，不能提交下一阶段。") % {"status": app.get_status_display()}
            )
        facts = submit_facts_of(application=app, now=now)
        reasons = stage_window_reasons(application=app, now=now) + _reasons_at(
            app=app, on=timezone.localdate(now), facts=facts
        )
        if reasons:
            raise ValidationError(reasons)
        rule = stage_rule(app.program, app.stage)
        chain = review_chain_pick(ancestors=facts.ancestors, tiers=rule.tiers)
        if not chain and not rule.has_cofunder:
            raise ValidationError(_("未找到您所在工会的审核单位，请核对所在工会。"))
        changes: dict = {
            "last_submitted_at": now,
            "review_chain": [u.id for u in chain],
            "current_tier_id": chain[0].id if chain else None,
            "return_fields": [],
            "return_reason": "",
        }
        if rule.has_cofunder:
            changes["cofunder_id"] = _cofunder_of(app, stage=app.stage)
        result = application_transition(
            application=app,
            action=Action.SUBMIT_STAGE,
            actor=actor,
            changes=changes,
            expected_status=S.STAGE_PASSED,
            detail={
                "stage": rule.number,
                "label": _("提交第%(n)s阶段（%(name)s）") % {"n": rule.number, "name": rule.name},
            },
            locked=True,
        )
    application_instance_sync(target=application, source=result.application)
    return result.application


def _due_query(now: datetime) -> Q:
    """Applications at a later stage, waiting for the worker, past their deadline: past a
    personal deadline, or past the stage's close with no later personal one."""
    past_close = Q()
    for stage in ProgramStage.objects.filter(number__gt=1, closes__lt=now).values("program_id", "number"):
        past_close |= Q(program_id=stage["program_id"], stage=stage["number"])
    personal = Q(stage_due_at__lt=now)
    if past_close:
        personal |= past_close & (Q(stage_due_at__isnull=True) | Q(stage_due_at__lt=now))
    return Q(stage__gt=1, status__in=STAGE_WAITING_STATUSES) & personal


def application_stage_lapse(*, application: Application, now: datetime) -> bool:
    """End one application past its stage deadline (its place passes on, see
    ``services.seat_release_and_promote``); False when there was nothing to do."""
    with transaction.atomic():
        Program.objects.select_for_update().get(pk=application.program_id)  # seat writers' order
        app = (
            Application.objects.select_for_update(of=("self",))
            .select_related("worker", "program")
            .get(pk=application.pk)
        )
        due = stage_due_of(app)
        if app.status not in STAGE_WAITING_STATUSES or app.stage <= 1 or due is None or due >= now:
            return False  # submitted meanwhile, or already lapsed: idempotent
        rule = stage_rule(app.program, app.stage)
        result = application_transition(
            application=app,
            action=Action.LAPSE,
            actor=None,
            reason=_("未在 %(at)s 前提交第%(n)s阶段（%(name)s），补助名额已让给候补职工。")
            % {"at": local_text(due), "n": rule.number, "name": rule.name},
            expected_status=app.status,
            detail={"stage": rule.number},
            locked=True,
        )
        if result.application.seat_status:
            seat_release_and_promote(application=result.application)
        return True


def stage_due_for_promoted(*, application: Application, now: datetime) -> None:
    """Call in the promotion's transaction: a worker promoted at a later stage gets the same
    deadline, and at least the stage's grace days; told on the timeline and by message."""
    app = Application.objects.select_related("program").get(pk=application.pk)
    extended = promoted_due(application=app, now=now)
    if extended is not None:
        Application.objects.filter(pk=app.pk).update(stage_due_at=extended)
        app.stage_due_at = extended
    due = stage_due_of(app)
    if due is None or app.status not in STAGE_WAITING_STATUSES:
        return
    rule = stage_rule(app.program, app.stage)
    application_progress_record(
        steps=[
            ProgressStep(
                application_id=app.pk,
                action=STAGE_DUE_SET,
                label=_("请于 %(at)s 前提交第%(n)s阶段（%(name)s）")
                % {"at": local_text(due), "n": rule.number, "name": rule.name},
                reason=_("逾期未提交，名额将让给下一位候补职工。"),
                detail={"stage": rule.number, "due": due.isoformat()},
            )
        ]
    )


def application_stage_lapse_due(*, now: datetime) -> int:
    """The beat's sweep: every application past its stage deadline lapses, each in its own
    transaction (one worker's failure does not hold up the rest)."""
    due = Application.objects.filter(_due_query(now)).order_by("program_id", "submitted_at", "pk")
    return sum(application_stage_lapse(application=app, now=now) for app in due)


def application_stage_reminders_send(*, now: datetime) -> int:
    """One reminder per application and stage, ``reminder_days`` before its deadline."""
    steps: list[ProgressStep] = []
    waiting = Application.objects.filter(stage__gt=1, status__in=STAGE_WAITING_STATUSES).select_related("program")
    reminded = set(
        ApplicationEvent.objects.filter(action=STAGE_REMINDER, application__in=waiting).values_list(
            "application_id", "detail__stage"
        )
    )
    for app in waiting:
        due = stage_due_of(app)
        rule = stage_rule(app.program, app.stage)
        if due is None or rule.stage is None or due < now or (app.pk, app.stage) in reminded:
            continue
        if due - now > timedelta(days=rule.stage.reminder_days):
            continue
        steps.append(
            ProgressStep(
                application_id=app.pk,
                action=STAGE_REMINDER,
                label=_("提醒：第%(n)s阶段（%(name)s）将于 %(at)s 截止")
                % {"n": rule.number, "name": rule.name, "at": local_text(due)},
                reason=_("请尽快上传材料并提交，逾期补助名额将让给候补职工。"),
                detail={"stage": app.stage},
            )
        )
    with transaction.atomic():
        return application_progress_record(steps=steps)
