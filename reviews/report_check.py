"""报告核对: the stored reading of each application's 学信网 report against the application
and the profile, one row a field, ✓ / ✗ / 无法核对. Set-based: a page of applications costs
two queries (the readings, the catalogue entries); no PDF is opened here.

What it cannot see: whether the PDF is genuine (the text layer says what the file says; only
an online verifier, ``applications.verifiers``, could), and anything in a scanned report.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.eligibility import chsi_valid_until_needed
from applications.models import Application, ReportReading, ReportReadingStatus
from applications.verifiers import SOURCE_LABELS
from quotas.models import CatalogueEntry, DocumentKind, EducationLevel

OK, BAD, UNKNOWN = "ok", "bad", "unknown"
RESULT_MARKS = {OK: "✓", BAD: "✗", UNKNOWN: "无法核对"}

# The 层次 the report must show for the level applied for (高升专 ⇒ 专科, 专升本 ⇒ 本科).
REPORT_LEVELS = {
    EducationLevel.GAO_SHENG_ZHUAN: ("专科",),
    EducationLevel.DAZHUAN: ("专科",),
    EducationLevel.ZHUAN_SHENG_BEN: ("本科",),
    EducationLevel.BENKE: ("本科",),
    EducationLevel.POSTGRADUATE: ("硕士研究生", "博士研究生", "研究生"),
}


@dataclass(frozen=True)
class CheckRow:
    label: str
    report_value: str
    compared_with: str
    result: str

    @property
    def mark(self) -> str:
        return RESULT_MARKS[self.result]


@dataclass(frozen=True)
class ReportCheck:
    status: str  # "" when no report was uploaded, else a ReportReadingStatus
    message: str
    source: str = ""
    rows: list[CheckRow] = field(default_factory=list)

    @property
    def mismatches(self) -> list[CheckRow]:
        return [r for r in self.rows if r.result == BAD]

    @property
    def is_pending(self) -> bool:
        return self.status == ReportReadingStatus.PENDING


def _same(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def _row(label, report_value, compared_with, result) -> CheckRow:
    return CheckRow(str(label), report_value or "—", compared_with or "—", result)


def _compare(label, report_value: str | None, expected: str) -> CheckRow:
    if not report_value or not expected:
        return _row(label, report_value, expected, UNKNOWN)
    return _row(label, report_value, expected, OK if _same(report_value, expected) else BAD)


def _rows(app: Application, reading: ReportReading, catalogue: set[tuple[str, str]] | None) -> list[CheckRow]:
    f = reading.fields
    worker = app.worker
    rows = [_compare(_("姓名"), f.get("name"), worker.name)]
    rows.append(
        _compare(
            _("出生日期（对照身份证号）"),
            f.get("birth_date"),
            worker.birth_date.isoformat() if worker.birth_date else "",
        )
    )
    if f.get("id_number_hmac"):
        same = f["id_number_hmac"] == worker.id_number_hmac
        rows.append(_row(_("证件号码"), f.get("id_number_masked"), worker.id_number_masked, OK if same else BAD))
    rows.append(_compare(_("院校"), f.get("school"), app.school))
    rows.append(_compare(_("专业"), f.get("major"), app.major))
    if catalogue is not None:
        school, major = f.get("school", ""), f.get("major", "")
        listed = (school, major) in catalogue
        result = UNKNOWN if not (school and major) else OK if listed else BAD
        rows.append(_row(_("院校专业目录"), f"{school} {major}".strip(), str(_("方案目录")), result))
    wanted = REPORT_LEVELS.get(app.level, ())
    level = f.get("level", "")
    result = UNKNOWN if not (level and wanted) else OK if any(level.startswith(w) for w in wanted) else BAD
    rows.append(_row(_("层次"), level, f"{app.get_level_display()} ⇒ {'/'.join(wanted)}", result))
    enrolled = f.get("enrolled_on")
    year = app.program.year
    result = UNKNOWN if not enrolled else OK if date.fromisoformat(enrolled).year == year else BAD
    rows.append(_row(_("入学日期"), enrolled, str(_("%(y)d年内") % {"y": year}), result))
    status = f.get("status", "")
    rows.append(
        _row(_("学籍状态"), status, "在籍", UNKNOWN if not status else OK if status.startswith("在籍") else BAD)
    )
    rows.append(_validity_row(app, f.get("valid_until")))
    code = f.get("code", "")
    rows.append(_compare(_("在线验证码"), code, (app.chsi_code or "").upper()))
    return rows


def _validity_row(app: Application, valid_until: str | None) -> CheckRow:
    on = timezone.localdate(app.submitted_at) if app.submitted_at else timezone.localdate()
    needed = chsi_valid_until_needed(program=app.program, on=on)
    expected = str(_("至少到 %(d)s") % {"d": needed.isoformat()})
    if not valid_until:
        return _row(_("报告有效期"), valid_until, expected, UNKNOWN)
    return _row(_("报告有效期"), valid_until, expected, OK if date.fromisoformat(valid_until) >= needed else BAD)


def report_checks_for(applications: Iterable[Application]) -> dict[int, ReportCheck]:
    """The check of each application's current 学信网 report. The applications need
    ``worker`` and ``program`` loaded."""
    apps = list(applications)
    if not apps:
        return {}
    readings = {
        r.attachment.application_id: r
        for r in ReportReading.objects.filter(
            attachment__application__in=apps, attachment__kind=DocumentKind.CHSI_REPORT, attachment__is_current=True
        ).select_related("attachment")
    }
    catalogues: dict[int, set[tuple[str, str]]] = defaultdict(set)
    program_ids = {a.program_id for a in apps}
    for program_id, school, major in CatalogueEntry.objects.filter(program_id__in=program_ids).values_list(
        "program_id", "school", "major"
    ):
        catalogues[program_id].add((school, major))
    result = {}
    for app in apps:
        reading = readings.get(app.pk)
        if reading is None:
            result[app.pk] = ReportCheck("", str(_("没有学信网报告的读取结果（未上传，或为本功能上线前上传）")))
        elif reading.status != ReportReadingStatus.READ:
            result[app.pk] = ReportCheck(reading.status, reading.get_status_display())
        else:
            rows = _rows(app, reading, catalogues.get(app.program_id))
            source = SOURCE_LABELS.get(reading.source, reading.source)
            result[app.pk] = ReportCheck(reading.status, reading.get_status_display(), source, rows)
    return result


def report_check_for(application: Application) -> ReportCheck:
    return report_checks_for([application])[application.pk]
