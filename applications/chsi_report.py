"""Read the 学信网《教育部学籍在线验证报告》 from its text layer (pypdf): labelled fields, no guess.

Two layouts are known: the older one (证件号码, 院校, 院系, 班级, 学号, 形式, 类型, "有效期至 …")
and the newer one (学校名称, 学习形式, "在线验证报告有效期 …", no ID number). Fields are found
by their labels wherever they stand (any order, one or several a line, with or without a
colon), so both layouts and a reordered page read the same. A value is what follows its
label up to the next label. A PDF without text (a scan) reads as such; no OCR is attempted.
Everything that can go wrong in a hostile file ends in a ``ReportReading`` with a status
and a Chinese message, never an exception.
"""

import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024  # a real report is ~100 KB
MAX_PAGES = 4  # a real report is one page; more is not a report (or a bomb)
MAX_TEXT = 20_000  # characters read from the text layer


class ReadStatus:
    READ = "read"
    NO_TEXT = "no_text"  # a scan or a photo saved as PDF
    NOT_REPORT = "not_report"  # text, but none of the report's labels
    ENCRYPTED = "encrypted"
    DAMAGED = "damaged"
    TOO_LARGE = "too_large"


STATUS_MESSAGES = {
    ReadStatus.READ: _("已读取报告内容"),
    ReadStatus.NO_TEXT: _("无法自动核对（扫描件）"),
    ReadStatus.NOT_REPORT: _("无法自动核对（未找到学信网报告的栏目）"),
    ReadStatus.ENCRYPTED: _("无法自动核对（PDF 已加密）"),
    ReadStatus.DAMAGED: _("无法自动核对（PDF 无法解析）"),
    ReadStatus.TOO_LARGE: _("无法自动核对（文件过大或页数过多）"),
}

# label as printed -> field key; both layouts' names for one field map to the same key.
LABELS = {
    "姓名": "name",
    "性别": "sex",
    "出生日期": "birth_date",
    "证件号码": "id_number",
    "身份证号": "id_number",
    "学校名称": "school",
    "院校": "school",
    "院系": "department",
    "班级": "class_name",
    "学号": "student_number",
    "层次": "level",
    "专业": "major",
    "学习形式": "study_form",
    "形式": "study_form",
    "类型": "education_type",
    "入学日期": "enrolled_on",
    "学籍状态": "status",
    "在线验证码": "code",
    "更新日期": "updated_on",
    "在线验证报告有效期": "valid_until",
    "有效期至": "valid_until",
    "有效期": "valid_until",
    "离校日期": "left_on",
    "预计毕业日期": "graduation_on",
}
DATE_FIELDS = frozenset({"birth_date", "enrolled_on", "updated_on", "valid_until", "left_on", "graduation_on"})
# A label starts a line or follows a space (so 学习形式 is never read as 形式, and a value
# holding a label's characters mid-word is not cut); longest first.
_LABEL_RE = re.compile(
    r"(?:(?<=^)|(?<=\s))(" + "|".join(sorted(map(re.escape, LABELS), key=len, reverse=True)) + r")\s*[:：]?\s*",
    re.MULTILINE,
)
_DATE_RE = re.compile(r"(\d{4})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})")
_CODE_RE = re.compile(r"[A-Za-z0-9]{8,32}")


@dataclass(frozen=True)
class ReportReading:
    status: str
    fields: dict[str, str] = field(default_factory=dict)  # dates as ISO strings
    layout: str = ""  # "old" (with 证件号码) or "new"

    @property
    def message(self) -> str:
        return str(STATUS_MESSAGES[self.status])

    @property
    def is_read(self) -> bool:
        return self.status == ReadStatus.READ

    def date(self, key: str) -> date | None:
        value = self.fields.get(key)
        return date.fromisoformat(value) if value else None


def _parse_date(text: str, *, last: bool = False) -> str | None:
    found = list(_DATE_RE.finditer(text))
    if not found:
        return None
    y, m, d = (int(g) for g in found[-1 if last else 0].groups())
    try:
        return date(y, m, d).isoformat()
    except ValueError:  # 2026年02月30日: not a date, so not read
        return None


def fields_from_text(text: str) -> dict[str, str]:
    """Labelled values of a report's text; a label seen twice keeps its first value."""
    found: dict[str, str] = {}
    matches = list(_LABEL_RE.finditer(text))
    for i, match in enumerate(matches):
        key = LABELS[match.group(1)]
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        raw = " ".join(text[match.end() : end].split())
        if key in found or not raw:
            continue
        if key in DATE_FIELDS:
            # A validity may be stated as a span (…至2027年06月01日): its end is the last date.
            value = _parse_date(raw, last=key == "valid_until")
        elif key == "code":
            code = _CODE_RE.search(raw)
            value = code.group(0).upper() if code else None
        elif key == "id_number":
            value = raw.replace(" ", "").upper()[:18]
        else:
            value = raw[:100]
        if value:
            found[key] = value
    return found


def _text_of(data: bytes) -> tuple[str, str | None]:
    """The first pages' text, or the status that stops the reading."""
    if len(data) > MAX_BYTES:
        return "", ReadStatus.TOO_LARGE
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return "", ReadStatus.ENCRYPTED
        if len(reader.pages) > MAX_PAGES:
            return "", ReadStatus.TOO_LARGE
        parts: list[str] = []
        for page in reader.pages:
            parts.append(page.extract_text() or "")
            if sum(map(len, parts)) > MAX_TEXT:
                break
        return "\n".join(parts)[:MAX_TEXT], None
    except Exception:  # pypdf raises many types for broken or hostile files; all mean "cannot read"
        logger.info("CHSI report: the PDF cannot be read", exc_info=True)
        return "", ReadStatus.DAMAGED


def chsi_report_read(data: bytes) -> ReportReading:
    """The report's labelled fields, or why they cannot be read automatically."""
    if not data.startswith(b"%PDF"):
        return ReportReading(ReadStatus.NO_TEXT)  # a photo or a screenshot of the report
    text, stopped = _text_of(data)
    if stopped:
        return ReportReading(stopped)
    if not text.strip():
        return ReportReading(ReadStatus.NO_TEXT)
    fields = fields_from_text(text)
    # A report has at least a name and one of its own labels; a different paper does not.
    if "name" not in fields or not ({"code", "status", "school"} & fields.keys()):
        return ReportReading(ReadStatus.NOT_REPORT)
    return ReportReading(ReadStatus.READ, fields, "old" if "id_number" in fields else "new")
