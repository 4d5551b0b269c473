"""Who reads a 学信网 report: a small interface, so that a deployment with access to an
official verification service can add an adapter without touching the checks.

Input: the report file's bytes and the 在线验证码 the worker typed. Output: a
``VerifiedReport`` naming its ``source``. The shipped verifier reads the PDF's own text
layer (``source = "pdf_text"``): it says what the file says, it does not prove the file is
genuine. Nothing here contacts 学信网; an adapter that does must set its own ``source``
(e.g. ``"chsi_online"``) so the review page can say where each value came from.

Configure with ``CHSI_VERIFIER`` (a dotted path, default ``PdfTextVerifier``).
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .chsi_report import ReportReading, chsi_report_read

SOURCE_PDF_TEXT = "pdf_text"
SOURCE_LABELS = {SOURCE_PDF_TEXT: "PDF 文字层"}


@dataclass(frozen=True)
class VerifiedReport:
    reading: ReportReading
    source: str


class ReportVerifier(Protocol):
    def verify(self, *, data: bytes, code: str) -> VerifiedReport: ...


class PdfTextVerifier:
    """The shipped one: the report's text layer, read offline. ``code`` is not used to look
    anything up; the review check compares it with the code printed in the report."""

    # Only a PDF has a text layer: a photo of the report is 扫描件 at once, with no task.
    reads_only_pdf = True

    def verify(self, *, data: bytes, code: str) -> VerifiedReport:
        return VerifiedReport(reading=chsi_report_read(data), source=SOURCE_PDF_TEXT)


@lru_cache(maxsize=4)
def _verifier_class(path: str) -> type:
    return import_string(path)


def report_verifier() -> ReportVerifier:
    return _verifier_class(getattr(settings, "CHSI_VERIFIER", "applications.verifiers.PdfTextVerifier"))()
