"""PDFs parsed, not guessed.

A byte scan sees only what sits in the file as written: an action inside an object stream
behind ``/ASCIIHexDecode`` or ``/ASCII85Decode`` (alone or before ``/FlateDecode``) is
invisible to it. So the file is read by a real parser (pypdf), which decodes every filter
chain and object stream, and every object it holds is walked for active content. The byte
scan stays as a second net for objects a repairing viewer might find outside the xref.
A PDF the parser cannot read is refused: a reviewer's viewer might read it differently.
"""

import io
import logging
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

logger = logging.getLogger(__name__)

# Keys that carry or trigger active content wherever they appear.
FORBIDDEN_KEYS = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/OpenAction",
        "/AA",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/RichMedia",
        "/RichMediaContent",
        "/RichMediaSettings",
        "/XFA",
    }
)
# Action, annotation and object types that run, fetch or carry something.
FORBIDDEN_TYPES = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/EmbeddedFile",
        "/RichMedia",
        "/ImportData",
        "/SubmitForm",
        "/GoToR",
        "/GoToE",
        "/Movie",
        "/Sound",
        "/Rendition",
        "/FileAttachment",
    }
)
TYPE_KEYS = ("/S", "/Type", "/Subtype")
MAX_OBJECTS = 100_000  # a scanned form has dozens; more is a parser bomb

_RAW_TOKENS = (b"/javascript", b"/js", b"/openaction", b"/launch", b"/aa", b"/embeddedfile", b"/richmedia", b"/xfa")
_NAME_ESCAPE = re.compile(rb"#([0-9a-fA-F]{2})")

ACTIVE = _("PDF 含有脚本或自动执行内容，不予接收。请打印后重新扫描为 PDF 或图片上传。")


def raw_has_active_content(blob: bytes) -> bool:
    """Tokens in bytes as written (or as an object stream decodes), ``#xx`` escapes undone."""
    unescaped = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), blob).lower()
    # A token ends where a name ends: "/JS" is a script, "/JS0" a font resource.
    return any(re.search(re.escape(token) + rb"(?![a-z0-9])", unescaped) for token in _RAW_TOKENS)


def _is_active(obj: DictionaryObject) -> bool:
    if any(key in FORBIDDEN_KEYS for key in obj):
        return True
    return any(isinstance(obj.get(key), NameObject) and obj.get(key) in FORBIDDEN_TYPES for key in TYPE_KEYS)


BINARY_SUBTYPES = frozenset({"/Image", "/Type1C", "/CIDFontType0C", "/OpenType"})


def _holds_text(stream: StreamObject) -> bool:
    if stream.get("/Type") in ("/XRef", "/Metadata") or stream.get("/Subtype") in BINARY_SUBTYPES:
        return False
    return not any(key in stream for key in ("/Length1", "/Length2", "/Length3"))  # embedded font files


def _walk_is_active(root) -> bool:
    """Depth-first through dictionaries and arrays; indirect objects are walked on their own."""
    stack = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            continue
        if isinstance(obj, DictionaryObject):
            if _is_active(obj):
                return True
            # A stream's decoded text is scanned too (objects packed in a stream but left out
            # of the xref, an orphan action); binary streams (images, fonts) are not.
            if isinstance(obj, StreamObject) and _holds_text(obj) and raw_has_active_content(obj.get_data()):
                return True
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return False


def _reader(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(_("PDF 已加密，无法检查内容。请导出未加密的 PDF，或打印后扫描上传。"))
        return reader
    except ValidationError:
        raise
    except Exception:  # pypdf raises many types for broken files; all mean the same to the user
        logger.info("PDF refused: the parser cannot read it", exc_info=True)
        raise ValidationError(_("PDF 文件无法解析，可能已损坏。请重新导出或扫描后上传。")) from None


def pdf_check(data: bytes) -> None:
    """Raise ``ValidationError`` (in Chinese) unless the PDF parses and holds no active content."""
    if raw_has_active_content(data):
        raise ValidationError(ACTIVE)
    reader = _reader(data)
    try:
        numbers = [(num, gen) for gen, entries in reader.xref.items() for num in entries]
        numbers += [(num, 0) for num in reader.xref_objStm]
        if len(numbers) > MAX_OBJECTS:
            raise ValidationError(_("PDF 内容过大或结构异常，已拒绝。"))
        if _walk_is_active(reader.trailer):
            raise ValidationError(ACTIVE)
        for num, gen in numbers:
            if num == 0:
                continue
            if _walk_is_active(reader.get_object(IndirectObject(num, gen, reader))):
                raise ValidationError(ACTIVE)
        if len(reader.pages) < 1:
            raise ValidationError(_("PDF 没有页面。"))
    except ValidationError:
        raise
    except Exception:
        logger.info("PDF refused: an object cannot be read", exc_info=True)
        raise ValidationError(_("PDF 文件无法解析，可能已损坏。请重新导出或扫描后上传。")) from None
