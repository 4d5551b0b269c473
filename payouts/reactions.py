"""How the money follows an application: payouts' listeners to what applications announces.

Registered in ``PayoutsConfig.ready``. Each runs inside the transaction of the status change
(see ``applications.announcements``): a withdrawal or revocation and the end of its money
land together or not at all.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from applications.announcements import (
    Announcement,
    Consequences,
    MoneyLines,
    ProfileChangeNotice,
    Transition,
    listen,
)
from applications.models import ApplicationStatus
from applications.services import seat_release_and_promote
from applications.workflow import Action

from .award_workflow import AwardAction
from .models import Award, AwardStatus, PayoutLine, PayoutLineStatus

# The application's claim ends: its unpaid money ends the same way.
ENDING_ACTIONS = {Action.WITHDRAW: AwardAction.VOID, Action.REVOKE: AwardAction.REVOKE}


def _money_items(awards) -> str:
    return "、".join(f"{a.source.name}{a.amount_yuan}元" for a in awards)


def _paid_refusal(application) -> str:
    paid = list(Award.objects.filter(application_id=application.pk, status=AwardStatus.PAID).select_related("source"))
    if not paid:
        return ""
    return _("补助已发放（%(items)s），不能撤回申请；如有疑问请联系所在工会。") % {"items": _money_items(paid)}


def withdrawal_refuse_after_payment(step: Transition) -> None:
    if step.action == Action.WITHDRAW:
        refusal = _paid_refusal(step.application)
        if refusal:
            raise ValidationError(refusal)


def money_end_with_claim(step: Transition) -> None:
    action = ENDING_ACTIONS.get(step.action)
    if action is None or step.from_status != ApplicationStatus.APPROVED:
        return  # only an approved claim has money (a paid one cannot be withdrawn or revoked)
    from .allocation.release import application_awards_end  # late: release imports the engine

    if step.application.seat_status:
        # An at-submission place (Xian'an) passes on first, so the rerun can fund the heir.
        seat_release_and_promote(application=step.application)
    application_awards_end(
        application=step.application,
        action=action,
        actor=step.actor,
        reason=step.reason or (_("职工撤回申请") if action == AwardAction.VOID else _("取消资格")),
    )


def withdrawal_consequences(c: Consequences) -> None:
    if c.action != Action.WITHDRAW:
        return
    c.refusal = _paid_refusal(c.application)
    if c.refusal:
        return
    live = list(
        Award.objects.filter(application_id=c.application.pk)
        .live()
        .exclude(status=AwardStatus.PAID)
        .select_related("source")
        .order_by("source__position", "id")
    )
    if live:
        c.warnings.append(
            _("撤回后将放弃已拟发的补助：%(items)s。名额将按提交先后递补给下一位，撤回后不能恢复。")
            % {"items": _money_items(live)}
        )


def lines_hold_for_profile_change(notice: ProfileChangeNotice) -> None:
    """A change of card, name, employer or union after approval is being checked: lines not
    yet sent to the bank are voided, so nothing leaves with unconfirmed details; the award
    is payable again once the change is decided, and the next list is built from the
    confirmed details. A list already exported went with the confirmed ones."""
    from .payout.services import payout_lines_void

    lines = PayoutLine.objects.select_for_update().filter(
        award__application__worker_id=notice.worker.pk,
        status=PayoutLineStatus.PENDING,
        payout_list__exported_at__isnull=True,
    )
    payout_lines_void(lines=list(lines), reason=_("职工信息变更待核实，暂缓发放"), actor=None)


def money_lines_fill(m: MoneyLines) -> None:
    """Every source that pays (or will pay) the application: the programme's, the county's
    matching and a lower union's top-up alike, with its payer and why."""
    awards = (
        Award.objects.filter(application=m.application)
        .live()
        .select_related("source__payer_union", "payer_union")
        .order_by("source__position", "source_id")
    )
    for award in awards:
        payer = award.payer_union.name if award.payer_union_id else award.source.payer_display
        m.lines.append(
            {
                "source": award.source.name,
                "amount_yuan": award.amount_yuan,
                "payer": payer,
                "status": award.get_status_display(),
                "explanation": award.explanation,
            }
        )


def register() -> None:
    listen(Announcement.MONEY_SHOWN, money_lines_fill)
    listen(Announcement.TRANSITION_CHECK, withdrawal_refuse_after_payment)
    listen(Announcement.TRANSITION_DONE, money_end_with_claim)
    listen(Announcement.CONSEQUENCES, withdrawal_consequences)
    listen(Announcement.PROFILE_CHANGE_PENDING, lines_hold_for_profile_change)
