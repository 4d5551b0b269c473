"""Who may claim: pure functions, each returning the reasons (plain Chinese) a rule fails.

No database access here: the caller looks up the facts (``selectors.prior_level_groups_of``,
the kinds of papers uploaded) and passes them in, so every rule is testable on its own and
the same code runs for the pre-check on the programme list and for the check at submission.
"""

import calendar
from collections.abc import Iterable
from datetime import date

from django.utils.translation import gettext as _

from quotas.models import DocumentKind, EducationLevel, Program, WorkerCategory
from quotas.stages import documents_up_to, program_is_staged, stage_rule

from .models import Worker
from .priority import priority_proofs_for

# 每人同一学历层次只可申请一次: 高升专 and 大专 are the same level, as are 专升本 and 本科.
LEVEL_GROUP = {
    EducationLevel.GAO_SHENG_ZHUAN: EducationLevel.DAZHUAN,
    EducationLevel.DAZHUAN: EducationLevel.DAZHUAN,
    EducationLevel.ZHUAN_SHENG_BEN: EducationLevel.BENKE,
    EducationLevel.BENKE: EducationLevel.BENKE,
    EducationLevel.POSTGRADUATE: EducationLevel.POSTGRADUATE,
}


def level_group(level: str) -> str:
    return LEVEL_GROUP.get(level, level)


def union_reasons(*, worker: Worker, program: Program) -> list[str]:
    if worker.union.is_within(program.owner_union):
        return []
    return [
        _("您所在的工会（%(union)s）不属于%(owner)s，不能申请本方案。")
        % {"union": worker.union, "owner": program.owner_union}
    ]


def category_reasons(*, worker: Worker, program: Program) -> list[str]:
    excluded = set(program.excluded_categories or []) & set(worker.categories or [])
    labels = dict(WorkerCategory.choices)
    return [_("本方案不接受%(category)s申请。") % {"category": labels.get(c, c)} for c in sorted(excluded)]


def frontline_reasons(*, worker: Worker) -> list[str]:
    if worker.is_frontline:
        return []
    return [_("本方案只补助一线职工（车间、工段、科室主任或科级及以下），请在个人信息中确认一线职工声明。")]


def worker_reasons(*, worker: Worker, program: Program) -> list[str]:
    """What rules out this worker for this programme before any application data is known."""
    return [
        *union_reasons(worker=worker, program=program),
        *category_reasons(worker=worker, program=program),
        *frontline_reasons(worker=worker),
    ]


def level_reasons(*, program: Program, level: str) -> list[str]:
    if level in (program.eligible_levels or []):
        return []
    allowed = "、".join(str(EducationLevel(lv).label) for lv in program.eligible_levels or [] if lv in EducationLevel)
    return [_("本方案补助的学历层次为：%(levels)s。") % {"levels": allowed or _("（未设置）")}]


def enrolment_reasons(*, program: Program, enrolled_on: date | None) -> list[str]:
    if enrolled_on is None:
        return [_("请填写入学日期。")]
    if enrolled_on.year != program.year:
        return [
            _("本方案只补助%(year)s年新入学的职工，您填写的入学日期为%(date)s。")
            % {"year": program.year, "date": enrolled_on}
        ]
    return []


def months_after(day: date, months: int) -> date:
    """The same day of the month ``months`` calendar months later; a day the target month
    does not have becomes its last day (31 Aug + 6 months = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def chsi_valid_until_needed(*, program: Program, on: date) -> date:
    """The last day the CHSI report must still be valid on, for a submission on ``on``:
    "有效期为6个月以上" counted in calendar months (``Program.chsi_valid_months``)."""
    return months_after(on, program.chsi_valid_months)


def chsi_reasons(*, program: Program, chsi_expires_on: date | None, on: date) -> list[str]:
    if chsi_expires_on is None:
        return [_("请填写学信网学籍在线验证报告的有效期。")]
    needed = chsi_valid_until_needed(program=program, on=on)
    if chsi_expires_on < on:
        # Already expired: say by how much, never "0 days left" for a report a month old.
        return [
            _(
                "您的学信网报告已过期%(days)s天（%(expires)s 到期），请到学信网延长有效期，"
                "有效期须至少到 %(needed)s（%(months)s个月以上）后再提交。"
            )
            % {
                "days": (on - chsi_expires_on).days,
                "expires": chsi_expires_on.isoformat(),
                "needed": needed.isoformat(),
                "months": program.chsi_valid_months,
            }
        ]
    if chsi_expires_on < needed:
        return [
            _(
                "学信网报告有效期须至少到 %(needed)s（%(months)s个月以上），您的报告 %(expires)s 到期，"
                "请到学信网延长有效期后再提交。"
            )
            % {
                "needed": needed.isoformat(),
                "months": program.chsi_valid_months,
                "expires": chsi_expires_on.isoformat(),
            }
        ]
    return []


def once_per_level_reasons(*, program: Program, level: str, prior_level_groups: Iterable[str]) -> list[str]:
    if program.one_per_level_ever and level_group(level) in set(prior_level_groups):
        return [
            _("每人同一学历层次只可申请一次：您已有%(level)s层次的申请（审核中或已获补助）。")
            % {"level": EducationLevel(level_group(level)).label}
        ]
    return []


def required_documents_for(*, program: Program, worker: Worker, stage: int | None = None) -> list[str]:
    """The papers this worker must have uploaded: of the whole programme, or (programmes in
    stages) of the stages up to ``stage``; the public-sector extra comes with the last one,
    the proofs of a claimed priority group with the first (the place is taken there)."""
    staged = stage is not None and program_is_staged(program)
    kinds = documents_up_to(program, stage) if staged else list(program.required_documents or [])
    if worker.is_public_sector and (not staged or stage_rule(program, stage).is_last):
        kinds += [k for k in program.public_sector_documents or [] if k not in kinds]
    kinds += [k for k in priority_proofs_for(program=program, worker=worker) if k not in kinds]
    return kinds


def document_reasons(*, required: Iterable[str], present: Iterable[str]) -> list[str]:
    labels = dict(DocumentKind.choices)
    missing = [k for k in required if k not in set(present)]
    return [_("缺少材料：%(kind)s。") % {"kind": labels.get(k, k)} for k in missing]


def catalogue_reasons(*, listed: bool | None) -> list[str]:
    """``listed``: None when the programme has no catalogue, else whether the choice is in it."""
    if listed is None or listed:
        return []
    return [_("所选院校、层次和专业不在本方案的院校专业目录中。")]


def submission_reasons(
    *,
    worker: Worker,
    program: Program,
    level: str,
    enrolled_on: date | None,
    chsi_expires_on: date | None,
    on: date,
    prior_level_groups: Iterable[str],
    present_documents: Iterable[str],
    stage: int | None = None,
) -> list[str]:
    """Every rule at once, in the order a worker would fix them. ``stage``: a programme in
    stages checks each rule at the stage where its facts exist (the enrolment date and the
    CHSI report where that stage asks for them) and that stage's papers."""
    study = stage is None or any(stage_rule(program, n).asks_study_facts for n in range(1, stage + 1))
    return [
        *worker_reasons(worker=worker, program=program),
        *level_reasons(program=program, level=level),
        *(enrolment_reasons(program=program, enrolled_on=enrolled_on) if study else []),
        *(chsi_reasons(program=program, chsi_expires_on=chsi_expires_on, on=on) if study else []),
        *once_per_level_reasons(program=program, level=level, prior_level_groups=prior_level_groups),
        *document_reasons(
            required=required_documents_for(program=program, worker=worker, stage=stage), present=present_documents
        ),
    ]
