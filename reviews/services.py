"""Review decisions: approve (to the next tier or final), return for correction, reject.

Every decision goes through ``applications.workflow.application_transition`` inside one
transaction that also writes the reviewer's ``ReviewDecision`` (and an ``AuditLog`` row
when the review window is overridden). The row is locked first and every check runs on
the locked row, so two reviewers clicking at once produce exactly one decision.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationStatus, Worker
from applications.selectors import RETURNABLE_FIELDS, returnable_fields_for
from applications.workflow import Action, TransitionError, application_transition
from qiuxue.crypto import hmac_index
from quotas.audit import AuditAction
from quotas.models import AdminRole, AllocationMode, CoFunderStaff, Program, UnionAdmin
from quotas.permissions import may_override_review_window
from quotas.review_rounds import review_window_for
from quotas.selectors import cofunder_staff_of, union_admin_of
from quotas.services import audit_log_write
from quotas.stages import StageRule, stage_rule

from .flag_types import FLAG_LABELS
from .flags import flag_codes_for
from .models import DecisionKind, ReviewDecision

REVIEW_ROLES = (AdminRole.REVIEWER, AdminRole.MANAGER)

# How a decision outside the review rounds was taken (``_review_window_check``).
OVERRIDE_NONE = ""
OVERRIDE_OWN_TIER = "own_tier"  # the owner's manager at their own tier, with a reason
OVERRIDE_STRANDED = "stranded"  # no round left: the owner's manager decides a lower tier


class ReviewRefused(Exception):
    """A decision that may not be taken; the message is shown to the reviewer as is."""


@dataclass(frozen=True)
class BulkItemResult:
    application_id: int
    number: str
    ok: bool
    message: str


def application_approve(
    *,
    application: Application,
    reviewer: AbstractBaseUser,
    reason: str = "",
    acknowledged_flags: Iterable[str] = (),
    override_window: bool = False,
    override_reason: str = "",
) -> ReviewDecision:
    with transaction.atomic():
        locked, admin = _lock_for_review(application=application, reviewer=reviewer, override_window=override_window)
        override = _review_window_check(
            application=locked, admin=admin, override=override_window, override_reason=override_reason
        )
        codes = flag_codes_for(locked)
        acknowledged = set(acknowledged_flags)
        missing = [c for c in codes if c not in acknowledged]
        if missing:
            raise ReviewRefused(
                _("申请 %(number)s 有风险提示未确认：%(flags)s。请逐项核实并勾选确认后再通过。")
                % {"number": locked, "flags": "、".join(str(FLAG_LABELS[c]) for c in missing)}
            )
        chain = [int(u) for u in locked.review_chain]
        stage = stage_rule(locked.program, locked.stage)
        if isinstance(admin, CoFunderStaff):
            # The university is the last step (of the stage): its approval ends it.
            action, decision, changes = _stage_end(stage)
        elif (
            (position := chain.index(locked.current_tier_id)) == len(chain) - 1
            and locked.cofunder_id is not None
            and stage.has_cofunder
        ):
            # The tier being decided is the reviewer's own or (stranded) the lower tier where the
            # application waits. Past the union tiers, on to the university of the applicant's
            # school (its review step): no union tier holds it any more.
            action, decision, changes = Action.APPROVE, DecisionKind.APPROVE, {"current_tier_id": None}
        elif position == len(chain) - 1:
            action, decision, changes = _stage_end(stage)
        else:
            action, decision, changes = Action.APPROVE, DecisionKind.APPROVE, {"current_tier_id": chain[position + 1]}
        return _decide(
            application=locked,
            reviewer=reviewer,
            admin=admin,
            action=action,
            decision=decision,
            reason=reason.strip(),
            changes=changes,
            flags=codes,
            override=override,
            override_reason=override_reason,
        )


def _stage_end(stage: StageRule) -> tuple[str, str, dict]:
    """The top of a stage's chain: the final approval, or (a programme in stages, before its
    last stage) the stage passed and the next one open to the worker; no money until then."""
    if stage.is_last:
        return Action.APPROVE_FINAL, DecisionKind.APPROVE_FINAL, {}
    return (
        Action.PASS_STAGE,
        DecisionKind.PASS_STAGE,
        {"stage": stage.number + 1, "stage_due_at": None, "current_tier_id": None},
    )


def application_return(
    *,
    application: Application,
    reviewer: AbstractBaseUser,
    reason: str,
    fields: Iterable[str],
    override_window: bool = False,
    override_reason: str = "",
) -> ReviewDecision:
    reason = (reason or "").strip()
    fields = list(dict.fromkeys(fields))
    if not reason:
        raise ReviewRefused(_("退回修改必须填写原因。"))
    if not fields:
        raise ReviewRefused(_("退回修改必须勾选需要修改的项目或材料。"))
    unknown = [f for f in fields if f not in RETURNABLE_FIELDS]
    if unknown:
        raise ReviewRefused(_("无法识别的修改项：%(f)s") % {"f": "、".join(unknown)})
    with transaction.atomic():
        locked, admin = _lock_for_review(application=application, reviewer=reviewer, override_window=override_window)
        # Only what this application's programme asks of this worker: the worker's upload
        # page offers exactly these papers, so nothing else could be sent back.
        own = returnable_fields_for(application=locked)
        foreign = [f for f in fields if f not in own]
        if foreign:
            raise ReviewRefused(
                _("申请 %(number)s 所在方案不需要以下材料，不能退回修改：%(f)s")
                % {"number": locked, "f": "、".join(RETURNABLE_FIELDS[f] for f in foreign)}
            )
        override = _review_window_check(
            application=locked, admin=admin, override=override_window, override_reason=override_reason
        )
        return _decide(
            application=locked,
            reviewer=reviewer,
            admin=admin,
            action=Action.RETURN,
            decision=DecisionKind.RETURN,
            reason=reason,
            changes={"returned_at": timezone.now(), "return_fields": fields, "return_reason": reason},
            return_fields=fields,
            override=override,
            override_reason=override_reason,
        )


def application_reject(
    *,
    application: Application,
    reviewer: AbstractBaseUser,
    reason: str,
    override_window: bool = False,
    override_reason: str = "",
) -> ReviewDecision:
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRefused(_("驳回必须填写原因。"))
    with transaction.atomic():
        if application.program.allocation_mode == AllocationMode.AT_SUBMISSION:
            # Same lock order as submission and withdrawal (programme, then application), so
            # a rejection racing a withdrawal cannot deadlock on the seat release.
            Program.objects.select_for_update(no_key=True).filter(pk=application.program_id).first()
        locked, admin = _lock_for_review(application=application, reviewer=reviewer, override_window=override_window)
        override = _review_window_check(
            application=locked, admin=admin, override=override_window, override_reason=override_reason
        )
        # A place or a waitlist slot: either is freed (a rejected application queues no more).
        held_seat = locked.program.allocation_mode == AllocationMode.AT_SUBMISSION and bool(locked.seat_status)
        decision = _decide(
            application=locked,
            reviewer=reviewer,
            admin=admin,
            action=Action.REJECT,
            decision=DecisionKind.REJECT,
            reason=reason,
            changes={},
            override=override,
            override_reason=override_reason,
        )
        if held_seat:
            # 额满即止 programmes: the freed place goes to the first on the waiting list, in
            # the same transaction as the rejection.
            from applications.services import seat_release_and_promote

            seat_release_and_promote(application=locked)
        return decision


def applications_bulk_approve(
    *,
    applications: Iterable[Application],
    reviewer: AbstractBaseUser,
    reason: str = "",
    acknowledged_flags: Mapping[int, Iterable[str]] | None = None,
    override_window: bool = False,
    override_reason: str = "",
) -> list[BulkItemResult]:
    acknowledged_flags = acknowledged_flags or {}
    return _bulk(
        applications,
        lambda app: application_approve(
            application=app,
            reviewer=reviewer,
            reason=reason,
            acknowledged_flags=acknowledged_flags.get(app.pk, ()),
            override_window=override_window,
            override_reason=override_reason,
        ),
    )


def applications_bulk_return(
    *,
    applications: Iterable[Application],
    reviewer: AbstractBaseUser,
    reason: str,
    fields: Iterable[str],
    override_window: bool = False,
    override_reason: str = "",
) -> list[BulkItemResult]:
    fields = list(fields)
    return _bulk(
        applications,
        lambda app: application_return(
            application=app,
            reviewer=reviewer,
            reason=reason,
            fields=fields,
            override_window=override_window,
            override_reason=override_reason,
        ),
    )


def applications_bulk_reject(
    *,
    applications: Iterable[Application],
    reviewer: AbstractBaseUser,
    reason: str,
    override_window: bool = False,
    override_reason: str = "",
) -> list[BulkItemResult]:
    return _bulk(
        applications,
        lambda app: application_reject(
            application=app,
            reviewer=reviewer,
            reason=reason,
            override_window=override_window,
            override_reason=override_reason,
        ),
    )


# --- internals ---------------------------------------------------------------------


def _bulk(applications: Iterable[Application], decide) -> list[BulkItemResult]:
    """One transaction per item: a refusal for one application leaves the others decided."""
    results = []
    for app in applications:
        try:
            decision = decide(app)
        except ReviewRefused as exc:
            results.append(BulkItemResult(app.pk, str(app), False, str(exc)))
        else:
            results.append(BulkItemResult(app.pk, str(app), True, decision.get_decision_display()))
    return results


def owner_manager_of(*, admin: UnionAdmin | None, program: Program) -> bool:
    """A manager of the programme's owner union or of a union above it (the permission
    module's rule for deciding outside the review rounds)."""
    return admin is not None and may_override_review_window(user=admin.user, program=program).allowed


def stranded_decidable_by(*, admin: UnionAdmin | None, application: Application) -> bool:
    """May ``admin`` decide ``application`` at its (lower) tier because no review round is
    left? The owner's manager, for a tier of their own subtree, once every round is over."""
    if not owner_manager_of(admin=admin, program=application.program):
        return False
    tier = application.current_tier
    if application.status != ApplicationStatus.IN_REVIEW or tier is None or tier.pk == admin.union_id:
        return False
    return tier.path.startswith(admin.union.path) and review_window_for(application=application).stranded


def window_override_allowed(*, admin: UnionAdmin | None, application: Application) -> bool:
    """Whether the review page offers the 审核期外办理 fields to ``admin``."""
    if review_window_for(application=application).is_open:
        return False
    if application.current_tier_id == getattr(admin, "union_id", None):
        return owner_manager_of(admin=admin, program=application.program)
    return stranded_decidable_by(admin=admin, application=application)


def _lock_for_review(
    *, application: Application, reviewer: AbstractBaseUser, override_window: bool = False
) -> tuple[Application, UnionAdmin | CoFunderStaff]:
    admin = union_admin_of(reviewer)
    if admin is None and (staff := cofunder_staff_of(reviewer)) is not None:
        return _lock_for_cofunder_review(application=application, reviewer=reviewer, staff=staff), staff
    if admin is None or admin.role not in REVIEW_ROLES:
        raise ReviewRefused(_("您没有审核权限。"))
    # Lock first, check afterwards: every check below sees the row as it is now, and a
    # second reviewer waits here until the first decision has committed.
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("worker__union", "program__owner_union", "batch", "current_tier")
        .get(pk=application.pk)
    )
    # The scope column, as in every list: the union the application was submitted under,
    # even if the worker has moved since (a draft has none yet: the worker's union).
    if not (locked.union_path or locked.worker.union.path).startswith(admin.union.path):
        raise ReviewRefused(_("申请 %(number)s 不在您的管辖范围内。") % {"number": locked})
    if locked.status != ApplicationStatus.IN_REVIEW:
        raise ReviewRefused(
            _("申请 %(number)s 当前为“%(status)s”，不能审核。")
            % {"number": locked, "status": locked.get_status_display()}
        )
    chain = [int(u) for u in locked.review_chain]
    at_my_tier = locked.current_tier_id == admin.union_id and admin.union_id in chain
    stranded_here = locked.current_tier_id in chain and stranded_decidable_by(admin=admin, application=locked)
    if not at_my_tier and not (override_window and stranded_here):
        message = _("申请 %(number)s 当前不在本级（%(union)s）审核，不能越级或重复审核。") % {
            "number": locked,
            "union": admin.union,
        }
        if stranded_here:
            # Say how, instead of only no: the page offers the fields for this.
            message += _("审核期已全部结束；如需代%(tier)s办理，请勾选“审核期外办理”并填写原因。") % {
                "tier": locked.current_tier
            }
        raise ReviewRefused(message)
    if reason := _own_case(application=locked, reviewer=reviewer, admin=admin):
        # Refused before anything is written; the case stays at this tier for a colleague.
        raise ReviewRefused(
            _("申请 %(number)s %(reason)s，您须回避，不能审核；请由本级其他审核员办理。")
            % {"number": locked, "reason": reason}
        )
    return locked, admin


def _lock_for_cofunder_review(
    *, application: Application, reviewer: AbstractBaseUser, staff: CoFunderStaff
) -> Application:
    """The co-funder step: a university's reviewer decides the applications of its own
    students (``Application.cofunder``) once every union tier has approved them."""
    if staff.role not in REVIEW_ROLES:
        raise ReviewRefused(_("您没有审核权限。"))
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("worker__union", "program__owner_union", "batch", "current_tier", "cofunder")
        .get(pk=application.pk)
    )
    # Scoped by the school's university, never by the union tree.
    if locked.cofunder_id != staff.cofunder_id:
        raise ReviewRefused(
            _("申请 %(number)s 不是本校（%(c)s）学生的申请，不能审核。") % {"number": locked, "c": staff.cofunder}
        )
    if locked.status != ApplicationStatus.IN_REVIEW:
        raise ReviewRefused(
            _("申请 %(number)s 当前为“%(status)s”，不能审核。")
            % {"number": locked, "status": locked.get_status_display()}
        )
    if locked.current_tier_id is not None:
        raise ReviewRefused(
            _("申请 %(number)s 仍在工会审核（%(tier)s），各级工会审核通过后才由高校审核。")
            % {"number": locked, "tier": locked.current_tier}
        )
    if reason := _own_case(application=locked, reviewer=reviewer, admin=staff):
        raise ReviewRefused(
            _("申请 %(number)s %(reason)s，您须回避，不能审核；请由本校其他审核员办理。")
            % {"number": locked, "reason": reason}
        )
    return locked


def _own_case(*, application: Application, reviewer: AbstractBaseUser, admin: UnionAdmin | CoFunderStaff) -> str:
    """Why ``reviewer`` may not decide ``application`` (empty: they may).

    The same person is found by account, then by the numbers the staff member recorded on
    their admin record (HMAC against the worker's), then by the reviewer's own worker
    profile if the account has one (accounts made before staff and workers were kept
    apart). Shared card or phone counts too: a family member's claim is not reviewed by
    the person whose card or phone it names."""
    worker = application.worker
    if worker.user_id == reviewer.pk:
        return _("是您本人账号提交的申请")
    phone_hmac = hmac_index(worker.phone) if worker.phone else ""
    own = Worker.objects.filter(user_id=reviewer.pk).values("id_number_hmac", "bank_card_hmac", "phone").first()
    # A university's staff record holds no numbers of its own (getattr: "").
    ids = {getattr(admin, "id_number_hmac", ""), own["id_number_hmac"] if own else ""} - {""}
    cards = {getattr(admin, "bank_card_hmac", ""), own["bank_card_hmac"] if own else ""} - {""}
    phones = {getattr(admin, "phone_hmac", ""), hmac_index(own["phone"]) if own and own["phone"] else ""} - {""}
    if worker.id_number_hmac in ids:
        return _("的申请人与您是同一人（身份证号相同）")
    if worker.bank_card_hmac in cards:
        return _("的收款银行卡与您登记的银行卡相同")
    if phone_hmac and phone_hmac in phones:
        return _("的手机号与您登记的手机号相同")
    return ""


def _review_window_check(*, application: Application, admin: UnionAdmin, override: bool, override_reason: str) -> str:
    """How a decision stands against the review rounds: ``OVERRIDE_NONE`` inside a round,
    else the kind of override the reviewer asked for and may use (or a refusal saying why)."""
    window = review_window_for(application=application)
    if window.is_open:
        return OVERRIDE_NONE
    owner = application.program.owner_union
    if isinstance(admin, CoFunderStaff):
        # A university decides inside the review rounds only; outside them it waits for the
        # next round (the owner's managers hold the override, for union tiers).
        message = _("现在不在审核期内，高校不能办理。")
        if window.waits_for_next:
            message += _("本申请%(resume)s。") % {"resume": window.resume_text()}
        else:
            message += _("审核期已全部结束，请联系%(owner)s。") % {"owner": owner}
        raise ReviewRefused(message)
    # A batch's own window names the batch; rounds belong to the programme.
    what = application.batch if window.rounds[0].number is None else application.program
    spans = "、".join(f"{r.name} {r.span}" for r in window.rounds)
    if not override:
        message = _("%(what)s 的审核期为 %(spans)s，现在不在审核期内。") % {"what": what, "spans": spans}
        if window.waits_for_next:
            message += _("本申请%(resume)s。") % {"resume": window.resume_text()}
        else:
            message += _("审核期已全部结束，须由%(owner)s或其上级工会的管理员填写原因后办理。") % {"owner": owner}
        raise ReviewRefused(message)
    permit = may_override_review_window(user=admin.user, program=application.program)
    if not permit:
        raise ReviewRefused(permit.reason)
    if not (override_reason or "").strip():
        raise ReviewRefused(_("在审核期外办理必须填写原因。"))
    if application.current_tier_id == admin.union_id:
        return OVERRIDE_OWN_TIER
    # _lock_for_review let a lower tier through only when stranded_decidable_by holds.
    return OVERRIDE_STRANDED


def _decide(
    *,
    application: Application,
    reviewer: AbstractBaseUser,
    admin: UnionAdmin | CoFunderStaff,
    action: str,
    decision: str,
    reason: str,
    changes: dict,
    flags: list[str] | None = None,
    return_fields: list[str] | None = None,
    override: str,
    override_reason: str,
) -> ReviewDecision:
    # The tier decided is where the application waits: the reviewer's own union, or for a
    # stranded application the lower tier the owner's manager decides for.
    tier = application.current_tier
    # At the co-funder step no union holds the application: the university decides.
    cofunder = application.cofunder if tier is None else None
    detail = {"decision": decision, "tier_name": tier.name if tier else cofunder.name}
    if cofunder is not None:
        detail["cofunder_id"] = cofunder.pk
    if flags:
        detail["flags_acknowledged"] = flags
    if return_fields:
        detail["return_fields"] = return_fields
        detail["return_labels"] = [RETURNABLE_FIELDS[f] for f in return_fields]
    if action == Action.PASS_STAGE:
        nxt = stage_rule(application.program, changes["stage"])
        detail["stage"] = application.stage
        detail["label"] = _("第%(n)s阶段审核通过，请申报第%(m)s阶段（%(name)s）") % {
            "n": application.stage,
            "m": nxt.number,
            "name": nxt.name,
        }
    elif "current_tier_id" in changes:
        detail["next_tier_id"] = changes["current_tier_id"]
        if changes["current_tier_id"] is None:
            detail["next_cofunder_id"] = application.cofunder_id
            detail["label"] = _("审核通过，报%(c)s审核") % {"c": application.cofunder}
    if override:
        detail["window_override"] = True
        detail["override_reason"] = override_reason.strip()
    if override == OVERRIDE_STRANDED:
        detail["decided_by_union_id"] = admin.union_id
        detail["decided_by_union"] = admin.union.name
    try:
        result = application_transition(
            application=application,
            action=action,
            actor=reviewer,
            tier=tier,
            reason=reason,
            detail=detail,
            changes=changes,
            expected_status=ApplicationStatus.IN_REVIEW,
            expected_tier_id=tier.pk if tier else None,
            locked=True,  # _lock_for_review holds the row in this transaction
        )
    except TransitionError as exc:
        raise ReviewRefused(str(exc)) from exc
    record = ReviewDecision.objects.create(
        application=result.application,
        event=result.event,
        tier_union=tier,
        tier_cofunder=cofunder,
        reviewer=reviewer,
        decision=decision,
        reason=reason,
        return_fields=return_fields or [],
        flags_acknowledged=flags or [],
        window_override=bool(override),
        override_reason=override_reason.strip() if override else "",
    )
    if cofunder is not None:
        # A decision by an organisation outside the union tree: on the audit log as well.
        audit_log_write(
            actor=reviewer,
            action=AuditAction.REVIEW_COFUNDER_DECIDE,
            obj=result.application,
            detail={"decision": decision, "cofunder": cofunder.name, "event_id": result.event.pk, "reason": reason},
        )
    if override:
        audit_log_write(
            actor=reviewer,
            action="review.stranded_decide" if override == OVERRIDE_STRANDED else "review.window_override",
            obj=result.application,
            detail={
                "decision": decision,
                "reason": override_reason.strip(),
                "batch_id": application.batch_id,
                "event_id": result.event.pk,
                "tier_id": tier.pk,
                "tier_name": tier.name,
            },
        )
    return record
