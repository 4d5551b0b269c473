"""学信网 reports for the tests: the writer is the application's (``applications.sample_reports``,
re-exported here so the tests and ``bench`` import one module); this module adds only the
files a real report never is: a scan without a text layer and an encrypted copy."""

import io

from PIL import Image

from applications.sample_reports import NEW_LAYOUT, OLD_LAYOUT, pdf_of_objects, report_lines, report_pdf, text_pdf

__all__ = [
    "NEW_LAYOUT",
    "OLD_LAYOUT",
    "encrypted_pdf",
    "image_only_pdf",
    "pdf_of_objects",
    "report_lines",
    "report_pdf",
    "text_pdf",
]


def image_only_pdf() -> bytes:
    """A scanned report: one picture, no text layer (Pillow writes it)."""
    buf = io.BytesIO()
    Image.new("RGB", (300, 420), (240, 240, 240)).save(buf, "PDF")
    return buf.getvalue()


def encrypted_pdf(data: bytes, password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
