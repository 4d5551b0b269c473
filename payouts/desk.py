"""The staff desk on the admin index: the signed-in staff member's work, and only the
admin sections their role uses.

Every count is the queryset of the changelist it links to (that admin's own
``get_queryset`` for this request, then the same filter the link sets), so a number on the
desk is the number of rows the clerk finds behind it (tested per link). It lives in
payouts, the top app, because it reads every app's admin.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application
from quotas.jobs import JOB_ACTIVE
from quotas.models import Batch, Program, Union, UnionAdmin
from quotas.permissions import (
    may_build_payout_lists,
    may_open_publicity,
    may_run_allocation,
    may_set_up_program,
    may_view_audit_log,
    programs_permitted,
)
from quotas.review_rounds import review_window_of
from quotas.selectors import cofunder_staff_of, union_admin_of
from reviews.flag_checks import CHECK_PENDING, FLAGGED
from reviews.selectors import review_queue

from .models import AllocationRun, Objection, ObjectionStatus, PayoutList, PayoutListStatus, ReportExport


@dataclass
class DeskRow:
    label: str
    count: int
    url: str
    note: str = ""
    key: str = ""


@dataclass
class Desk:
    who: str
    rows: list[DeskRow] = field(default_factory=list)


def _changelist(model, **params) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _scoped(request: HttpRequest, model):
    """The changelist's own queryset for this request (its admin's scoping)."""
    model_admin = admin.site._registry[model]
    if not model_admin.has_view_permission(request):
        return None
    return model_admin.get_queryset(request)


def _days_left(program: Program, batch: Batch | None, now) -> str:
    window = review_window_of(program=program, batch=batch, now=now)
    if window.current is not None:
        days = (timezone.localdate(window.current.closes) - timezone.localdate(now)).days
        return _("审核期还剩%(d)d天（%(closes)s截止）") % {
            "d": days,
            "closes": f"{timezone.localtime(window.current.closes):%m-%d}",
        }
    if window.waits_for_next:
        return _("本轮审核期已结束，") + window.resume_text()
    if window.rounds:
        return _("审核期已结束")
    return ""


def _review_rows(request: HttpRequest, now) -> list[DeskRow]:
    apps = _scoped(request, Application)
    if apps is None:
        return []
    rows: list[DeskRow] = []
    mine = review_queue(apps, user=request.user, queue="mine")
    groups = list(mine.values("program_id", "batch_id").annotate(n=Count("*")).order_by("program_id", "batch_id"))
    programs = Program.objects.prefetch_related("review_rounds").in_bulk({g["program_id"] for g in groups})
    batches = Batch.objects.in_bulk({g["batch_id"] for g in groups if g["batch_id"]})
    for g in groups:
        program, batch = programs[g["program_id"]], batches.get(g["batch_id"])
        params = {"queue": "mine"}
        if batch is not None:
            params["batch"] = batch.pk
        rows.append(
            DeskRow(
                label=_("待我审核：%(what)s") % {"what": f"{program.name} {batch}" if batch else program.name},
                count=g["n"],
                url=_changelist(Application, **params),
                note=_days_left(program, batch, now),
                key="mine",
            )
        )
    if not rows:
        rows.append(DeskRow(_("待我审核"), 0, _changelist(Application, queue="mine"), key="mine"))
    for queue, label in (("resubmitted", _("退回后重新提交")), ("stranded", _("审核期已过仍未办结"))):
        n = review_queue(apps, user=request.user, queue=queue).count()
        if n or queue == "resubmitted":
            rows.append(DeskRow(label, n, _changelist(Application, queue=queue), key=queue))
    # Flags to look at: in my queue, from the stored checks (reviews.flag_checks), the same
    # filter the link sets; and those still being checked, said so rather than counted as clean.
    flagged = mine.filter(FLAGGED).count()
    rows.append(
        DeskRow(_("待我审核中有风险提示"), flagged, _changelist(Application, queue="mine", risk="any"), key="flags")
    )
    pending = mine.filter(CHECK_PENDING).count()
    if pending:
        rows.append(
            DeskRow(
                _("风险核对中"),
                pending,
                _changelist(Application, queue="mine", risk="pending"),
                note=_("自动核对完成后计入上一行"),
                key="flags_pending",
            )
        )
    return rows


def _money_rows(request: HttpRequest) -> list[DeskRow]:
    rows: list[DeskRow] = []
    user = request.user
    if programs_permitted(user=user, check=may_open_publicity):
        objections = _scoped(request, Objection)
        if objections is not None:
            n = objections.filter(status=ObjectionStatus.PENDING).count()
            rows.append(
                DeskRow(
                    _("待处理的公示异议"),
                    n,
                    _changelist(Objection, status__exact=ObjectionStatus.PENDING),
                    key="objections",
                )
            )
    if programs_permitted(user=user, check=may_build_payout_lists):
        lists = _scoped(request, PayoutList)
        if lists is not None:
            n = lists.filter(status=PayoutListStatus.DRAFT).count()
            rows.append(
                DeskRow(
                    _("待导出的发放名单"),
                    n,
                    _changelist(PayoutList, status__exact=PayoutListStatus.DRAFT),
                    key="payout_lists",
                )
            )
    for model, label in ((AllocationRun, _("进行中的分配运行")), (ReportExport, _("进行中的报表导出"))):
        qs = _scoped(request, model)
        if qs is None:
            continue
        n = qs.filter(status__in=JOB_ACTIVE).count()
        if n:
            rows.append(
                DeskRow(label, n, _changelist(model, status__in=",".join(JOB_ACTIVE)), key=model._meta.model_name)
            )
    return rows


def staff_desk(request: HttpRequest) -> Desk | None:
    user = request.user
    record = union_admin_of(user) or cofunder_staff_of(user)
    if record is None:
        return None
    place = record.union.name if union_admin_of(user) else record.cofunder.name
    desk = Desk(who=f"{place} · {record.get_role_display()}")
    now = timezone.now()
    desk.rows = _review_rows(request, now) + _money_rows(request)
    return desk


# --- the sections a role uses ------------------------------------------------------------
# A model's section is shown when the signed-in staff member may do its work in some
# programme (quotas.permissions), whatever the union's level. Models not named here follow
# their admin's own module permission.


def _any(check):
    return lambda request: bool(programs_permitted(user=request.user, check=check))


def _writes(model):
    # The union tree and its accounts: used by whoever may add to them (their managers).
    return lambda request: admin.site._registry[model].has_add_permission(request)


SECTION_USED_BY = {
    "payouts.allocationrun": _any(may_run_allocation),
    "payouts.award": _any(may_run_allocation),
    "payouts.publicity": _any(may_open_publicity),
    "payouts.objection": _any(may_open_publicity),
    "payouts.payoutlist": _any(may_build_payout_lists),
    "payouts.payoutline": _any(may_build_payout_lists),
    "payouts.reportexport": _any(may_open_publicity),
    "payouts.studyfollowup": _any(may_open_publicity),
    "quotas.auditlog": lambda request: may_view_audit_log(user=request.user).allowed,
    "quotas.program": _any(may_set_up_program),
    "quotas.fundingsource": _any(may_set_up_program),
    "quotas.quota": _any(may_set_up_program),
    "quotas.union": _writes(Union),
    "quotas.unionadmin": _writes(UnionAdmin),
    "quotas.catalogueentry": _any(may_set_up_program),
    "quotas.reviewround": _any(may_set_up_program),
    "quotas.cofunder": _any(may_set_up_program),
    "quotas.batch": _any(may_set_up_program),
}


def sections_in_use(request: HttpRequest, app_list: list[dict]) -> list[dict]:
    """The admin index's app list without the models this staff member never uses."""
    decided: dict[str, bool] = {}
    kept = []
    for app in app_list:
        models = []
        for m in app["models"]:
            key = f"{app['app_label']}.{m['object_name'].lower()}"
            rule = SECTION_USED_BY.get(key)
            if rule is not None:
                if key not in decided:
                    decided[key] = rule(request)
                if not decided[key]:
                    continue
            models.append(m)
        if models:
            kept.append({**app, "models": models})
    return kept
