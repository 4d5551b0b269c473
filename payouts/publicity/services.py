"""Writes of the publicity (公示) stage: open a period, close due periods, take and decide
objections. Keyword-only, one transaction each, audited in the same transaction."""

import secrets
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationStatus
from applications.progress import ProgressAction, ProgressStep, application_progress_record
from applications.services import seat_release_and_promote
from applications.workflow import Action, application_transition
from quotas.models import AllocationMode, Batch, Program
from quotas.permissions import may_decide_objection, may_open_publicity
from quotas.services import audit_log_write

from ..award_workflow import AwardAction, award_transition
from ..labels import batch_label
from ..models import Award, AwardStatus, Objection, ObjectionStatus, Publicity, PublicityEntry, PublicityStatus


def publicity_open(*, program: Program, batch: Batch | None, actor: AbstractBaseUser | None) -> Publicity:
    """Publish the PROPOSED awards of one batch: they become PUBLISHED and are listed for
    ``program.publicity_days`` days. Run again later for people promoted after an upheld
    objection: that makes a supplementary period listing only them. ``actor=None`` is the
    system (demo loader, ``manage.py publicity_open``)."""
    if actor is not None:
        may_open_publicity(user=actor, program=program).require()
    now = timezone.now()
    with transaction.atomic():
        # Programme first, like the allocation and a withdrawal: a rerun, a second click or a
        # withdrawal cannot change the awards while they are listed.
        Program.objects.select_for_update(no_key=True).get(pk=program.pk)
        awards = list(
            Award.objects.select_for_update()
            .filter(application__program=program, batch=batch, status=AwardStatus.PROPOSED)
            .order_by("rank", "id")
        )
        if not awards:
            raise ValidationError(_("该批次没有待公示的拟补助名单。"))
        application_ids = list(dict.fromkeys(a.application_id for a in awards))
        already = Publicity.objects.filter(program=program, batch=batch).exists()
        title = _("%(program)s拟补助人员名单公示（%(batch)s%(extra)s）") % {
            "program": program.name,
            "batch": batch_label(batch),
            "extra": _("·补充公示") if already else "",
        }
        publicity = Publicity.objects.create(
            program=program,
            batch=batch,
            title=title,
            starts_at=now,
            ends_at=now + timedelta(days=program.publicity_days),
            published_by=actor if actor is not None and actor.is_authenticated else None,
        )
        # Order the public list by submission time: the order the allocation served them.
        ordered = Application.objects.filter(pk__in=application_ids).order_by("submitted_at", "id")
        PublicityEntry.objects.bulk_create(
            PublicityEntry(publicity=publicity, application=app, position=i, token=secrets.token_urlsafe(12))
            for i, app in enumerate(ordered, start=1)
        )
        award_transition(awards=awards, action=AwardAction.PUBLISH, actor=actor, detail={"publicity": publicity.pk})
        ends = timezone.localtime(publicity.ends_at)
        application_progress_record(
            steps=[
                ProgressStep(
                    application_id=app_id,
                    action=ProgressAction.PUBLICITY_LISTED,
                    label=_("列入拟补助人员名单公示"),
                    reason=_("公示期至 %(ends)s，期满无异议后发放。") % {"ends": f"{ends:%Y-%m-%d %H:%M}"},
                    detail={"publicity": publicity.pk},
                )
                for app_id in application_ids
            ]
        )
        audit_log_write(
            actor=actor,
            action="publicity.open",
            obj=publicity,
            detail={"awards": len(awards), "people": len(application_ids), "ends_at": publicity.ends_at.isoformat()},
        )
    return publicity


def publicity_close_due(*, now: datetime) -> int:
    """Close every open period whose end has passed. Idempotent: a second tick finds none."""
    with transaction.atomic():
        due = list(
            Publicity.objects.select_for_update(skip_locked=True).filter(status=PublicityStatus.OPEN, ends_at__lte=now)
        )
        for publicity in due:
            publicity.status = PublicityStatus.CLOSED
            publicity.closed_at = now
            publicity.save(update_fields=["status", "closed_at"])
            audit_log_write(
                actor=None, action="publicity.close", obj=publicity, detail={"ends_at": str(publicity.ends_at)}
            )
            application_progress_record(steps=_period_over_steps(publicity))
    return len(due)


def _period_over_steps(publicity: Publicity) -> list[ProgressStep]:
    """Everyone still on the list hears that the period is over; whoever has an objection
    still being checked hears that too (payment waits for it)."""
    still_listed = publicity.entries.filter(application__status=ApplicationStatus.APPROVED)
    checking = set(publicity.objections.filter(status=ObjectionStatus.PENDING).values_list("application_id", flat=True))
    return [
        ProgressStep(
            application_id=app_id,
            action=ProgressAction.PUBLICITY_OVER,
            label=_("公示期满"),
            reason=_("针对您的异议正在核实，核实完成后再安排发放。")
            if app_id in checking
            else _("公示期满无异议，等待各出资单位发放。"),
            detail={"publicity": publicity.pk},
        )
        for app_id in still_listed.values_list("application_id", flat=True).order_by("position")
    ]


def objection_submit(
    *, publicity: Publicity, token: str, contact_name: str, contact_phone: str, reason: str, now: datetime | None = None
) -> Objection:
    """Record a public objection against one listed person (named by the line's token)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Publicity.objects.select_for_update().get(pk=publicity.pk)
        if locked.ends_at <= now or locked.status != PublicityStatus.OPEN:
            raise ValidationError(_("公示期已结束，不再受理异议。"))
        entry = PublicityEntry.objects.filter(publicity=locked, token=token).first()
        if entry is None:
            raise ValidationError(_("请选择公示名单中的人员。"))
        objection = Objection.objects.create(
            publicity=locked,
            application_id=entry.application_id,
            contact_name=contact_name.strip(),
            contact_phone=contact_phone.strip(),
            reason=reason.strip(),
        )
        audit_log_write(actor=None, action="objection.submit", obj=objection, detail={"publicity": locked.pk})
    return objection


def _lock_pending(objection: Objection) -> Objection:
    locked = Objection.objects.select_for_update().select_related("publicity", "application").get(pk=objection.pk)
    if locked.status != ObjectionStatus.PENDING:
        raise ValidationError(_("该异议已处理（%(status)s），请刷新后再看。") % {"status": locked.get_status_display()})
    return locked


def objection_phone_reveal(*, objection: Objection, actor: AbstractBaseUser) -> str:
    """The objector's full phone, for the manager who decides (to call back). A view of
    personal data: audited, and only for someone who may decide this objection."""
    may_decide_objection(user=actor, objection=objection).require()
    with transaction.atomic():
        audit_log_write(
            actor=actor, action="objection.phone_view", obj=objection, detail={"contact_name": objection.contact_name}
        )
    return objection.contact_phone


def objection_dismiss(*, objection: Objection, actor: AbstractBaseUser, note: str) -> Objection:
    may_decide_objection(user=actor, objection=objection).require()
    if not note.strip():
        raise ValidationError(_("请填写处理意见。"))
    with transaction.atomic():
        locked = _lock_pending(objection)
        locked.status = ObjectionStatus.DISMISSED
        locked.decided_by = actor
        locked.decision_note = note.strip()
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decision_note", "decided_at"])
        audit_log_write(actor=actor, action="objection.dismiss", obj=locked, detail={"note": locked.decision_note})
    return locked


def objection_uphold(*, objection: Objection, actor: AbstractBaseUser, note: str) -> Objection:
    """The objection is right: the application is revoked. Its unpaid awards end and their
    places pass to the next in line through the reaction to that transition
    (``payouts.reactions``), in this same transaction."""
    may_decide_objection(user=actor, objection=objection).require()
    if not note.strip():
        raise ValidationError(_("请填写处理意见。"))
    with transaction.atomic():
        # Programme first: the allocation rerun of the reaction and the seat promotion
        # below both take it, and every writer takes it before the application row.
        program = Program.objects.select_for_update(no_key=True).get(pk=objection.publicity.program_id)
        locked = _lock_pending(objection)
        application = locked.application
        if program.allocation_mode == AllocationMode.AT_SUBMISSION:
            # Xian'an: the place taken at submission goes to the first on the waitlist before
            # the awards are revoked, so the allocation rerun can fund the heir.
            seat_release_and_promote(application=application)
        # A second upheld objection against the same person finds the application revoked.
        if application.status == ApplicationStatus.APPROVED:
            application_transition(
                application=application,
                action=Action.REVOKE,
                actor=actor,
                reason=_("公示异议成立：%(note)s") % {"note": note.strip()},
                detail={"objection": locked.pk},
            )
        locked.status = ObjectionStatus.UPHELD
        locked.decided_by = actor
        locked.decision_note = note.strip()
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decision_note", "decided_at"])
        audit_log_write(actor=actor, action="objection.uphold", obj=locked, detail={"note": locked.decision_note})
    return locked
