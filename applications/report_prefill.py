"""The worker's pre-fill from the stored 学信网 reading: the values offered on the edit page
(``_report_prefill.html``) and, on "用报告内容填写" (``?prefill=report``), the form's initial
values, for the worker to check and save. Reads the stored row, never the PDF."""

from dataclasses import dataclass, field
from datetime import date

from quotas.models import DocumentKind, EducationLevel

from .models import Application, ReportReading, ReportReadingStatus

PREFILL_PARAM, PREFILL_VALUE = "prefill", "report"

# The 层次 printed in the report -> the levels a worker may have applied for with it.
LEVELS_OF = {
    "专科": (EducationLevel.GAO_SHENG_ZHUAN, EducationLevel.DAZHUAN),
    "本科": (EducationLevel.ZHUAN_SHENG_BEN, EducationLevel.BENKE),
    "硕士研究生": (EducationLevel.POSTGRADUATE,),
    "博士研究生": (EducationLevel.POSTGRADUATE,),
}


@dataclass(frozen=True)
class ReportPrefill:
    status: str
    message: str
    shown: list[tuple[str, str]] = field(default_factory=list)  # (label, value) offered
    initial: dict = field(default_factory=dict)  # form field -> value

    @property
    def is_pending(self) -> bool:
        return self.status == ReportReadingStatus.PENDING


def _level_for(app: Application, printed: str) -> str | None:
    """The one level of the programme this 层次 can mean; the worker's own choice when it
    fits (专科 is both 高升专 and 大专); none when it is ambiguous."""
    allowed = [lv for lv in LEVELS_OF.get(printed, ()) if lv in app.program.eligible_levels]
    if app.level in allowed:
        return app.level
    return allowed[0] if len(allowed) == 1 else None


def report_prefill_for(application: Application) -> ReportPrefill | None:
    reading = (
        ReportReading.objects.filter(
            attachment__application=application, attachment__kind=DocumentKind.CHSI_REPORT, attachment__is_current=True
        )
        .only("status", "fields")
        .first()
    )
    if reading is None:
        return None
    if reading.status != ReportReadingStatus.READ:
        return ReportPrefill(reading.status, reading.get_status_display())
    f = reading.fields
    initial: dict = {}
    shown: list[tuple[str, str]] = []
    for key, name, label in (
        ("code", "chsi_code", "在线验证码"),
        ("valid_until", "chsi_expires_on", "有效期至"),
        ("school", "school", "院校"),
        ("major", "major", "专业"),
        ("enrolled_on", "enrolled_on", "入学日期"),
    ):
        if f.get(key):
            shown.append((label, f[key]))
            initial[name] = date.fromisoformat(f[key]) if name in ("chsi_expires_on", "enrolled_on") else f[key]
    if f.get("level"):
        shown.append(("层次", f["level"]))
        level = _level_for(application, f["level"])
        if level:
            initial["level"] = level
    # A programme with a catalogue asks for one entry: the one the report names, if listed.
    entry = next(
        (
            e
            for e in application.program.catalogue.all()
            if (e.school, e.major) == (f.get("school"), f.get("major")) and e.level == initial.get("level")
        ),
        None,
    )
    if entry is not None:
        initial["entry"] = str(entry.pk)
    return ReportPrefill(reading.status, reading.get_status_display(), shown, initial)
