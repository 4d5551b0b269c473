"""Automatic risk flags (虚报冒领 checks) for a page of applications at once.

Every check is one set-based query over the whole page (or none at all), so a page of
100 applications costs at most six queries whatever its size: no N+1. A reviewer must
tick each flag of an application (acknowledge it) before approving it.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.eligibility import chsi_valid_until_needed, level_group  # level_group: 高升专 = 大专
from applications.models import Application, ApplicationStatus, Attachment, Worker
from qiuxue.masking import mask_name
from quotas.models import DocumentKind

from .copies import flag_copies
from .flag_types import Flag, FlagCode, OtherApplication
from .membership import OFF, membership_for_applications

# Other applications that count as "already applied / subsidised": anything submitted
# and not withdrawn. A rejected earlier claim is still worth a reviewer's look.
_COUNTED_STATUSES = (
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.RETURNED,
    ApplicationStatus.APPROVED,
    ApplicationStatus.PAID,
    ApplicationStatus.REJECTED,
    ApplicationStatus.REVOKED,
)
_SUBSIDISED_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.PAID)


def flags_for_applications(applications: Iterable[Application]) -> dict[int, list[Flag]]:
    """Flags per application id. The applications need ``worker`` and ``program`` loaded
    (``select_related``) or this costs one query each for them."""
    apps = list(applications)
    result: dict[int, list[Flag]] = {a.pk: [] for a in apps}
    if not apps:
        return result
    _flag_same_person(apps, result)
    _flag_shared(apps, result, field="bank_card_hmac", code=FlagCode.SHARED_BANK_CARD)
    _flag_shared(apps, result, field="phone", code=FlagCode.SHARED_PHONE)
    _flag_rows(apps, result)
    _flag_rank_certificate(apps, result)
    flag_copies(apps, result)
    _flag_not_member(apps, result)
    _flag_report(apps, result)
    return result


def _flag_not_member(apps: list[Application], result: dict[int, list[Flag]]) -> None:
    """Where the programme requires membership (Xian'an), 不在册 on every imported roster."""
    required = [a for a in apps if a.program.requires_membership]
    if not required:
        return
    memberships = membership_for_applications(required)
    for app in required:
        m = memberships[app.pk]
        if m.status == OFF:
            names = "、".join(r.union_name for r in m.unions if r.status == OFF)
            result[app.pk].append(Flag(FlagCode.NOT_MEMBER, str(_("未列入%(names)s的会员名册") % {"names": names})))


def flag_codes_for(application: Application) -> list[str]:
    return [f.code for f in flags_for_applications([application])[application.pk]]


def _flag_same_person(apps: list[Application], result: dict[int, list[Flag]]) -> None:
    hmacs = {a.worker.id_number_hmac for a in apps}
    others = (
        Application.objects.filter(worker__id_number_hmac__in=hmacs, status__in=_COUNTED_STATUSES)
        .values_list("pk", "worker__id_number_hmac", "level", "status", "number", "program__year")
        .order_by()
    )
    by_person: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for pk, hmac, level, status, number, year in others:
        by_person[(hmac, level_group(level))].append((pk, status, number, year))
    for app in apps:
        key = (app.worker.id_number_hmac, level_group(app.level))
        matches = [m for m in by_person.get(key, []) if m[0] != app.pk]
        if not matches:
            continue
        subsidised = [m for m in matches if m[1] in _SUBSIDISED_STATUSES]
        shown = subsidised or matches
        detail = "、".join(f"{m[2] or m[0]}（{m[3]}年，{ApplicationStatus(m[1]).label}）" for m in shown[:3])
        others = tuple(
            OtherApplication(pk=m[0], number=m[2] or "", name_masked=mask_name(app.worker.name)) for m in shown[:3]
        )
        result[app.pk].append(Flag(FlagCode.SAME_PERSON_LEVEL, detail, others))


def _flag_shared(apps: list[Application], result: dict[int, list[Flag]], *, field: str, code: str) -> None:
    """One value (card, phone) used by more than one real person (distinct ID-number HMAC).
    One query: the workers holding these values, each with its latest submitted
    application, so the flag can name the other person (masked) and their application."""
    values = {getattr(a.worker, field) for a in apps if getattr(a.worker, field)}
    if not values:
        return
    latest = Application.objects.filter(worker=OuterRef("pk")).exclude(status=ApplicationStatus.DRAFT).order_by("-id")
    holders = (
        Worker.objects.filter(**{f"{field}__in": values})
        .annotate(app_pk=Subquery(latest.values("pk")[:1]), app_number=Subquery(latest.values("number")[:1]))
        .values_list(field, "id_number_hmac", "name", "app_pk", "app_number")
        .order_by("id")
    )
    by_value: dict[str, list[tuple]] = defaultdict(list)
    for value, hmac, name, app_pk, app_number in holders:
        by_value[value].append((hmac, name, app_pk, app_number))
    for app in apps:
        rows = by_value.get(getattr(app.worker, field), [])
        people = len({r[0] for r in rows})
        if people > 1:
            others = tuple(
                OtherApplication(pk=r[2], number=r[3] or "", name_masked=mask_name(r[1]))
                for r in rows
                if r[0] != app.worker.id_number_hmac
            )[:5]
            result[app.pk].append(Flag(code, str(_("共 %(n)d 人使用") % {"n": people}), others))


def _flag_rows(apps: list[Application], result: dict[int, list[Flag]]) -> None:
    """Checks on the row itself: no query."""
    for app in apps:
        year = app.program.year
        if app.enrolled_on and app.enrolled_on.year != year:
            result[app.pk].append(
                Flag(
                    FlagCode.ENROLMENT_OUTSIDE_YEAR,
                    str(_("入学日期 %(d)s，方案年度 %(y)d") % {"d": app.enrolled_on.isoformat(), "y": year}),
                )
            )
        if app.submitted_at and app.chsi_expires_on:
            # The submission rule itself (calendar months from the local day of submission).
            needed = chsi_valid_until_needed(program=app.program, on=timezone.localdate(app.submitted_at))
            if app.chsi_expires_on < needed:
                result[app.pk].append(
                    Flag(
                        FlagCode.CHSI_SHORT_VALIDITY,
                        str(
                            _("有效期至 %(expires)s，提交时须至少到 %(needed)s（%(months)d个月以上）")
                            % {
                                "expires": app.chsi_expires_on.isoformat(),
                                "needed": needed.isoformat(),
                                "months": app.program.chsi_valid_months,
                            }
                        ),
                    )
                )


def _flag_rank_certificate(apps: list[Application], result: dict[int, list[Flag]]) -> None:
    # Only where the programme asks public-sector staff for one (Jinan); Xian'an and the
    # others do not, and their workers could not even upload it.
    public = [
        a.pk
        for a in apps
        if a.worker.is_public_sector and DocumentKind.RANK_CERTIFICATE in (a.program.public_sector_documents or [])
    ]
    if not public:
        return
    with_cert = set(
        Attachment.objects.filter(
            application_id__in=public, kind=DocumentKind.RANK_CERTIFICATE, is_current=True
        ).values_list("application_id", flat=True)
    )
    for pk in public:
        if pk not in with_cert:
            result[pk].append(Flag(FlagCode.PUBLIC_SECTOR_NO_RANK_CERT, str(_("职级证明缺失"))))


def _flag_report(apps: list[Application], result: dict[int, list[Flag]]) -> None:
    """Every ✗ of the 报告核对 is one flag naming the fields. A report not read yet is a flag
    too: the reviewer who approves before the reading is done has looked at it by eye."""
    from .report_check import report_checks_for

    for pk, check in report_checks_for(apps).items():
        if check.is_pending:
            result[pk].append(
                Flag(FlagCode.REPORT_PENDING, str(_("报告正在读取，稍后自动核对；也可以人工查看报告原件")))
            )
        elif check.mismatches:
            detail = "；".join(f"{r.label}：报告为{r.report_value}，应为{r.compared_with}" for r in check.mismatches)
            result[pk].append(Flag(FlagCode.REPORT_MISMATCH, detail))
