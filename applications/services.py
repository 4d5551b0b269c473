"""Every write of the worker's side: keyword-only, one transaction each.

Status changes go through ``workflow.application_transition`` only. Seats of
``at_submission`` programmes (Xian'an: the place is taken at submission) are taken and
released in ``seats.py``, on a per-programme counter row locked last and briefly; its
docstring gives the lock order every writer follows.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qiuxue.crypto import encrypt_text, hmac_index
from qiuxue.masking import mask_bank_card, mask_id_number
from quotas.models import AllocationMode, DocumentKind, Program, Union, UnionLevel
from quotas.selectors import cofunder_for_school, review_chain_pick
from quotas.services import audit_log_write
from quotas.stages import stage_rule

from . import eligibility
from .announcements import checks_stale
from .changes import held_field_shown, worker_change_stage
from .models import (
    ENDED_STATUSES,
    HELD_FIELDS,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Attachment,
    Worker,
)
from .priority import priority_groups_of
from .seats import _program_lock, seat_precheck, seat_release_and_promote, seat_requeue, seat_take
from .selectors import catalogue_lists, filled_batch_of, worker_money_is_held
from .stage_rules import stage_asks_study_facts, stage_window_reasons
from .submit_facts import SubmitFacts, submit_facts_of
from .uploads import upload_clean
from .validators import birth_date_from_id, validate_bank_card, validate_id_number, validate_phone
from .workflow import Action, application_instance_sync, application_transition

S = ApplicationStatus
# STAGE_PASSED: a stage approved, the next one's facts and papers to add (``stages``).
EDITABLE_STATUSES = (S.DRAFT, S.RETURNED, S.STAGE_PASSED)


# --- accounts and profile -------------------------------------------------------------


@dataclass(frozen=True)
class ProfileData:
    name: str
    employer: str
    union: Union
    bank_name: str
    id_number: str = ""  # blank on edit = keep the stored number
    bank_card: str = ""
    position: str = ""
    email: str = ""
    is_frontline: bool = False
    is_migrant: bool = False
    is_public_sector: bool = False
    is_model_worker: bool = False
    is_union_cadre: bool = False
    is_advanced_worker: bool = False
    is_new_form_worker: bool = False
    categories: tuple[str, ...] = ()


def worker_profile_save(*, user: AbstractBaseUser, data: ProfileData) -> Worker:
    """Create or update the real-name profile. Numbers are stored encrypted + indexed + masked.

    Once the worker has approved money (``worker_money_is_held``), a change of name,
    employer, union or bank card is not written here: it waits for review as a
    ``WorkerChange`` (``changes.worker_change_stage``) and the row keeps the confirmed values.
    The other fields save at once, as before approval.
    """
    if data.union.level not in (UnionLevel.GRASSROOTS, UnionLevel.TOWNSHIP):
        raise ValidationError(_("请选择您所在的基层工会或乡镇（街道）工会。"))
    with transaction.atomic():
        worker = Worker.objects.select_for_update().filter(user=user).first()
        creating = worker is None
        if creating:
            worker = Worker(user=user, phone=validate_phone(user.username))
        if creating and not (data.id_number and data.bank_card):
            raise ValidationError(_("请填写身份证号和银行卡号。"))
        if data.id_number:
            number = validate_id_number(data.id_number)
            digest = hmac_index(number)
            if (
                not creating
                and digest != worker.id_number_hmac
                and worker.applications.exclude(status=S.DRAFT).exists()
            ):
                raise ValidationError(_("已提交过申请，身份证号不能再修改；如确需更正请联系所在工会。"))
            if Worker.objects.filter(id_number_hmac=digest).exclude(pk=worker.pk).exists():
                raise ValidationError(_("该身份证号已被其他账号登记。一人只能注册一个账号。"))
            worker.id_number_encrypted = encrypt_text(number)
            worker.id_number_hmac = digest
            worker.id_number_masked = mask_id_number(number)
            worker.birth_date = birth_date_from_id(number)
        card = validate_bank_card(data.bank_card) if data.bank_card else ""
        held = not creating and worker_money_is_held(worker=worker)
        before = {} if creating else {f: held_field_shown(source=worker, name=f) for f in HELD_FIELDS}
        if not held:
            if card:
                worker.bank_card_encrypted = encrypt_text(card)
                worker.bank_card_hmac = hmac_index(card)
                worker.bank_card_masked = mask_bank_card(card)
            worker.name = data.name.strip()
            for field in ("employer", "union", "bank_name"):
                setattr(worker, field, getattr(data, field))
        for field in (
            "position",
            "email",
            "is_frontline",
            "is_migrant",
            "is_public_sector",
            "is_model_worker",
            "is_union_cadre",
            "is_advanced_worker",
            "is_new_form_worker",
        ):
            setattr(worker, field, getattr(data, field))
        worker.categories = sorted(set(data.categories))
        try:
            with transaction.atomic():
                worker.save()
        except IntegrityError:  # two tabs registering the same ID number at once
            raise ValidationError(_("该身份证号已被其他账号登记。一人只能注册一个账号。")) from None
        # Before/after of what the money follows, masked: the trail says what changed.
        after = {f: held_field_shown(source=worker, name=f) for f in HELD_FIELDS}
        changed = [f for f in HELD_FIELDS if before and before[f] != after[f]]
        audit_log_write(
            actor=user,
            action="worker_profile_create" if creating else "worker_profile_update",
            obj=worker,
            detail={
                "id_changed": bool(data.id_number),
                "card_changed": "bank_card" in changed,
                "changed": changed,
                "before": {f: before[f] for f in changed},
                "after": {f: after[f] for f in changed},
                "held_for_review": held,
            },
        )
        if held:
            worker_change_stage(worker=worker, data=data, card=card, actor=user)
        if not creating:  # a card, name or union the reviewers' checks compare
            checks_stale(application_ids=worker.applications.exclude(status=S.DRAFT).values_list("pk", flat=True))
    return worker


# --- drafts and papers ----------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationData:
    level: str
    school: str
    major: str
    # Empty at a stage that does not ask for them yet (Xian'an's spring 申请助学).
    enrolled_on: date | None = None
    chsi_code: str = ""
    chsi_expires_on: date | None = None


def _check_owner(application: Application, actor: AbstractBaseUser) -> None:
    if application.worker.user_id != actor.pk:
        raise ValidationError(_("只能操作本人的申请。"))


def _check_data(*, program: Program, data: ApplicationData) -> None:
    reasons = [
        *eligibility.level_reasons(program=program, level=data.level),
        *eligibility.catalogue_reasons(
            listed=catalogue_lists(program=program, school=data.school, level=data.level, major=data.major)
        ),
    ]
    if not data.school.strip() or not data.major.strip():
        reasons.append(_("请填写院校和专业。"))
    if reasons:
        raise ValidationError(reasons)


def _application_number(*, program: Program, pk: int) -> str:
    # Derived from the primary key: unique without a shared counter to contend on.
    return f"QX{program.year}-{pk:06d}"


def application_create_draft(
    *, worker: Worker, program: Program, data: ApplicationData, actor: AbstractBaseUser
) -> Application:
    """Start an application, or return the live one this worker already has for the programme.

    Double clicks, retries and two tabs meet the partial unique constraint
    ``application_one_live_per_program``; the loser gets the winner's row.
    """
    if worker.user_id != actor.pk:
        raise ValidationError(_("只能为本人创建申请。"))
    if not program.is_open:
        raise ValidationError(_("该方案暂未开放申请。"))
    existing = Application.objects.filter(worker=worker, program=program).exclude(status__in=ENDED_STATUSES)
    found = existing.first()
    if found is not None:
        return found
    reasons = eligibility.worker_reasons(worker=worker, program=program)
    if reasons:
        raise ValidationError(reasons)
    _check_data(program=program, data=data)
    try:
        with transaction.atomic():
            app = Application.objects.create(
                worker=worker,
                program=program,
                level=data.level,
                school=data.school.strip(),
                major=data.major.strip(),
                enrolled_on=data.enrolled_on,
                chsi_code=(data.chsi_code or "").strip(),
                chsi_expires_on=data.chsi_expires_on,
                union_path=worker.union.path,  # scope column (reviews): see Application.union_path
            )
            app.number = _application_number(program=program, pk=app.pk)
            app.save(update_fields=["number"])
            ApplicationEvent.objects.create(
                application=app,
                actor=actor,
                action="draft_create",
                to_status=S.DRAFT,
                detail={"label": _("创建申请草稿")},
            )
    except IntegrityError:
        found = existing.first()
        if found is None:
            raise
        return found
    return app


def application_update(*, application: Application, data: ApplicationData, actor: AbstractBaseUser) -> Application:
    with transaction.atomic():
        app = (
            Application.objects.select_for_update(of=("self",))
            .select_related("worker", "program")
            .get(pk=application.pk)
        )
        _check_owner(app, actor)
        if app.status not in EDITABLE_STATUSES:
            raise ValidationError(_("申请已提交，不能修改；如被退回修改，可在退回后修改。"))
        _check_data(program=app.program, data=data)
        app.level = data.level
        app.school = data.school.strip()
        app.major = data.major.strip()
        if stage_asks_study_facts(program=app.program, number=app.stage):
            # Otherwise the form did not show them: what is stored stays.
            app.enrolled_on = data.enrolled_on
            app.chsi_code = data.chsi_code.strip()
            app.chsi_expires_on = data.chsi_expires_on
        app.save(
            update_fields=["level", "school", "major", "enrolled_on", "chsi_code", "chsi_expires_on", "updated_at"]
        )
    return app


def attachment_upload(*, application: Application, kind: str, uploaded_file, actor: AbstractBaseUser) -> Attachment:
    """Store a checked, cleaned copy; the previous paper of that kind stays, marked not current."""
    if kind not in DocumentKind.values:
        raise ValidationError(_("材料类型不正确。"))
    clean = upload_clean(uploaded_file)  # CPU work outside the transaction
    with transaction.atomic():
        app = (
            Application.objects.select_for_update(of=("self",))
            .select_related("worker", "program")
            .get(pk=application.pk)
        )
        _check_owner(app, actor)
        if app.status not in EDITABLE_STATUSES:
            raise ValidationError(_("申请已提交，材料不能再更换。"))
        allowed = eligibility.required_documents_for(program=app.program, worker=app.worker)
        if kind not in allowed:
            raise ValidationError(_("本方案不需要这项材料。"))
        app.attachments.filter(kind=kind, is_current=True).update(is_current=False)
        attachment = Attachment(
            application=app,
            kind=kind,
            content_type=clean.content_type,
            size=len(clean.content),
            sha256=clean.sha256,
            original_name=clean.original_name,
        )
        attachment.phash_set(clean.phash)
        attachment.file.save(f"{uuid.uuid4().hex}.{clean.extension}", ContentFile(clean.content), save=False)
        try:
            attachment.save()
        except Exception:
            attachment.file.delete(save=False)
            raise
        if kind == DocumentKind.CHSI_REPORT:  # issue 19: read once, by a task after commit
            from .report_readings import report_reading_queue

            report_reading_queue(attachment=attachment)
    return attachment


# --- seats (at_submission programmes): applications/seats.py ----------------------------


# --- submit, resubmit, withdraw ---------------------------------------------------------


def _reasons_at(*, app: Application, on: date, facts: SubmitFacts) -> list[str]:
    return [
        *eligibility.submission_reasons(
            worker=app.worker,
            program=app.program,
            level=app.level,
            enrolled_on=app.enrolled_on,
            chsi_expires_on=app.chsi_expires_on,
            on=on,
            prior_level_groups=facts.prior_level_groups,
            present_documents=facts.present_documents,
            stage=app.stage,
        ),
        *eligibility.catalogue_reasons(listed=facts.catalogue_listed),
    ]


def application_submit_reasons(*, application: Application, now: datetime | None = None) -> list[str]:
    """Why a submit (or resubmit) now would be refused: the check page (检查并提交) reads this,
    so it shows exactly what the submit says. Read-only; the same facts and ``_reasons_at``
    as ``application_submit``/``application_resubmit``, without their locks."""
    now = now or timezone.now()
    facts = submit_facts_of(application=application, now=now)
    reasons = []
    if application.status == S.DRAFT and facts.batch_id is None:
        reasons.append(_closed_window_message(program=application.program, now=now))
    if application.status in (S.STAGE_PASSED, S.RETURNED):
        reasons += stage_window_reasons(application=application, now=now)
    return reasons + _reasons_at(app=application, on=timezone.localdate(now), facts=facts)


def _lock_for_submit(application: Application) -> Application:
    """Lock the application row and read it afresh, with its worker, union and programme.

    Those three rows are never locked here (``of=("self",)``, see ``_program_lock``), so
    the copies the caller already read (the views load them with the application) are as
    good as a join now; reusing them spares the join at window open. Otherwise: join.
    """
    locked = Application.objects.select_for_update(of=("self",))
    worker_field, program_field = Application._meta.get_field("worker"), Application._meta.get_field("program")
    if (
        worker_field.is_cached(application)
        and program_field.is_cached(application)
        and Worker._meta.get_field("union").is_cached(application.worker)
        and Program._meta.get_field("owner_union").is_cached(application.program)
    ):
        app = locked.get(pk=application.pk)
        app.worker, app.program = application.worker, application.program
        return app
    return locked.select_related("worker__union", "program__owner_union").get(pk=application.pk)


def _closed_window_message(*, program: Program, now: datetime) -> str:
    filled = filled_batch_of(program=program, now=now)
    if filled is not None and filled.apply_opens <= now:
        return _("补助名额已被前面批次用完，第%(n)s批申请不再开放。") % {"n": filled.number}
    return _("现在不在申请时间内（申请窗口已关闭或尚未开放），不能提交。")


def _cofunder_of(app: Application, *, stage: int = 1) -> int | None:
    """The co-funder (university) of the application's school, for a programme (or, in a
    programme in stages, a stage) with a co-funder step; refused when no co-funder answers
    for that school."""
    if not stage_rule(app.program, stage).has_cofunder:
        return None
    cofunder = cofunder_for_school(program=app.program, school=app.school)
    if cofunder is None:
        raise ValidationError(
            _("您填写的院校（%(school)s）不是本方案的合作高校，无法由高校审核，不能提交；请核对院校名称。")
            % {"school": app.school}
        )
    return cofunder.pk


def _at_submission(program: Program) -> bool:
    return program.allocation_mode == AllocationMode.AT_SUBMISSION


def application_submit(
    *, application: Application, actor: AbstractBaseUser, now: datetime | None = None
) -> Application:
    """Submit a draft: fixes the FCFS time, the review chain, the batch and (Xian'an) the seat.

    A second click, a retry or another tab finds the application already submitted and
    gets it back as success.
    """
    requested_now = now
    with transaction.atomic():
        # No programme-wide lock: an at-submission seat is taken from the programme's counter
        # row at the end (``seats.seat_take``), which also reads the FCFS time under that lock.
        app = _lock_for_submit(application)
        now = now or timezone.now()
        _check_owner(app, actor)
        if app.status in (S.IN_REVIEW, S.APPROVED, S.PAID) and app.submitted_at is not None:
            return app
        if app.status == S.RETURNED:
            raise ValidationError(_("申请已被退回修改，请修改后点击“重新提交”。"))
        if app.status != S.DRAFT:
            raise ValidationError(_("申请当前为“%(status)s”，不能提交。") % {"status": app.get_status_display()})
        program = app.program
        facts = submit_facts_of(application=app, now=now)
        if facts.batch_id is None:
            raise ValidationError(_closed_window_message(program=program, now=now))
        reasons = _reasons_at(app=app, on=timezone.localdate(now), facts=facts)
        if reasons:
            raise ValidationError(reasons)
        first_stage = stage_rule(program, 1)
        chain = review_chain_pick(ancestors=facts.ancestors, tiers=first_stage.tiers)
        if not chain:
            raise ValidationError(_("未找到您所在工会的审核单位，请核对所在工会。"))
        cofunder_id = _cofunder_of(app, stage=1)
        changes = {
            "batch_id": facts.batch_id,
            "submitted_at": now,
            "last_submitted_at": now,
            "review_chain": [u.id for u in chain],
            "union_path": app.worker.union.path,  # the union it is submitted under (scope column)
            "current_tier_id": chain[0].id,
            "number": app.number or _application_number(program=program, pk=app.pk),
            "stage": 1,
            "stage_due_at": None,
        }
        if cofunder_id is not None:
            changes["cofunder_id"] = cofunder_id
        groups = priority_groups_of(app.worker)  # snapshot: a later profile edit moves no seat
        changes.update(priority_groups=groups, is_priority=bool(groups))
        app.is_priority = bool(groups)
        seat_plan = seat_precheck(application=app, capacity=facts.seat_capacity, now=now)
        result = application_transition(
            application=app,
            action=Action.SUBMIT,
            actor=actor,
            changes=changes,
            expected_status=S.DRAFT,
            detail={"batch": facts.batch_number},
            locked=True,
            # The seat last, written with the row in one statement: the counter lock is held
            # for that statement and the commit only.
            last=(
                (lambda row, fields: seat_take(application=row, plan=seat_plan, fields=fields, now=requested_now))
                if seat_plan
                else None
            ),
        )
    application_instance_sync(target=application, source=result.application)
    return result.application


def resubmit_keeps_position(*, application: Application, now: datetime | None = None) -> bool:
    """Resubmitted within ``return_keep_days`` of the return: the FCFS time stays."""
    if application.returned_at is None:
        return True
    now = now or timezone.now()
    return now - application.returned_at <= timedelta(days=application.program.return_keep_days)


def application_resubmit(
    *, application: Application, actor: AbstractBaseUser, now: datetime | None = None
) -> Application:
    now = now or timezone.now()
    with transaction.atomic():
        if _at_submission(application.program):
            _program_lock(application.program_id)
        app = _lock_for_submit(application)
        _check_owner(app, actor)
        if (
            app.status in (S.IN_REVIEW, S.APPROVED, S.PAID)
            and app.returned_at
            and app.last_submitted_at > app.returned_at
        ):
            return app
        if app.status != S.RETURNED:
            raise ValidationError(_("申请当前为“%(status)s”，不能重新提交。") % {"status": app.get_status_display()})
        facts = submit_facts_of(application=app, now=now)
        reasons = stage_window_reasons(application=app, now=now) + _reasons_at(
            app=app, on=timezone.localdate(now), facts=facts
        )
        if reasons:
            raise ValidationError(reasons)
        # A later stage's return: the place was taken at stage 1 and is kept until the
        # stage's deadline (``stages``), so lateness is that deadline's business.
        keep = app.stage > 1 or resubmit_keeps_position(application=app, now=now)
        changes: dict = {"last_submitted_at": now, "return_fields": [], "return_reason": ""}
        if stage_rule(app.program, app.stage).has_cofunder:
            # The school may have been corrected: its university reviews (and pays) it.
            changes["cofunder_id"] = _cofunder_of(app, stage=app.stage)
        if not keep:
            changes["submitted_at"] = now
            if _at_submission(app.program) and app.seat_status:
                # Late: the place goes to the next in line, and this one queues again at the back.
                changes.update(seat_requeue(application=app, capacity=facts.seat_capacity, now=now))
        result = application_transition(
            application=app,
            action=Action.RESUBMIT,
            actor=actor,
            changes=changes,
            expected_status=S.RETURNED,
            detail={"kept_queue_position": keep},
            locked=True,
        )
    application_instance_sync(target=application, source=result.application)
    return result.application


def application_withdraw(*, application: Application, actor: AbstractBaseUser, reason: str = "") -> Application:
    """Withdraw the worker's own application. After approval the apps above react in this
    transaction (``announcements``): its unpaid money is voided and passed on, or the
    withdrawal is refused when money has been paid."""
    with transaction.atomic():
        # Programme first, as every writer of seats and awards takes it: an approved claim's
        # money is ended under the programme lock (payouts' reaction) after the row lock here.
        if _at_submission(application.program) or application.status == S.APPROVED:
            _program_lock(application.program_id)
        app = Application.objects.select_for_update(of=("self",)).select_related("worker").get(pk=application.pk)
        _check_owner(app, actor)
        if app.status == S.WITHDRAWN:
            return app
        result = application_transition(
            application=app,
            action=Action.WITHDRAW,
            actor=actor,
            reason=reason.strip()[:500],
            expected_status=app.status,
            locked=True,
        )
        if result.application.seat_status:  # only at-submission programmes hold seats
            seat_release_and_promote(application=result.application)
    application_instance_sync(target=application, source=result.application)
    return result.application
