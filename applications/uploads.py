"""Uploaded papers: check what a file really is, and keep only a clean copy of it.

- size cap ``settings.UPLOAD_MAX_BYTES``;
- type by magic bytes, JPEG/PNG/PDF, and phones' HEIC/HEIF and WebP, and the name's
  extension must agree with it; HEIC and WebP are converted to JPEG (pillow-heif,
  Pillow) and stored as JPEG, so every reader of a paper sees JPEG, PNG or PDF;
- images: dimensions checked from the header before any pixel is decoded (pixel flood),
  then decoded and re-encoded by Pillow, which drops metadata, trailing bytes and any
  polyglot payload;
- PDFs: header, ``%%EOF`` trailer, then parsed by pypdf (``pdf_check``): every filter and
  object stream decoded, every object walked for active content (scripts, auto-actions,
  launches, embedded files, rich media, XFA); a PDF the parser cannot read is refused;
- the stored name is chosen by the server; the original name is kept only as text.
"""

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pillow_heif import register_heif_opener

from .pdf_check import pdf_check
from .phash import dhash, phash_hex

# HEIC/HEIF photos (iPhones, many Android phones) open in Pillow like any image; their
# header gives the size before anything is decoded, as for JPEG and PNG.
register_heif_opener(thumbnails=False)

MAX_SIDE = 8000
MAX_PIXELS = 40_000_000  # JPEG: decoded reduced (see _clean_image), so a phone's 40 MP is fine
MAX_PNG_PIXELS = 12_000_000  # PNG decodes in full: 12 MP RGBA is 48 MB of pixels
# HEIC and WebP decode in full too (no reduced decode), and cost more than their pixels
# while decoding (measured: libheif ~8 bytes a pixel, libwebp ~15): HEIC up to a phone's
# 12 MP (4032×3024), WebP (chat apps, screenshots) up to 4.5 MP. Their JPEG copy is at most
# CONVERTED_SIDE long, as the phone's own shrinking script makes (static/applications/).
MAX_CONVERTED_PIXELS = {"image/heic": 13_000_000, "image/webp": 4_500_000}
CONVERTED_SIDE = 2400
STORED_SIDE = 4000
# Pillow's own guard: anything bigger raises DecompressionBombError instead of decoding.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
HEIC, WEBP = "image/heic", "image/webp"  # accepted, stored as JPEG
EXTENSIONS = {
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
    PDF: (".pdf",),
    HEIC: (".heic", ".heif"),
    WEBP: (".webp",),
}
STORED_TYPE = {JPEG: JPEG, PNG: PNG, PDF: PDF, HEIC: JPEG, WEBP: JPEG}
STORED_EXTENSION = {JPEG: "jpg", PNG: "png", PDF: "pdf"}
PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG", HEIC: "HEIF", WEBP: "WEBP"}
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    extension: str
    original_name: str
    sha256: str
    phash: str = ""  # dHash of the stored picture (applications/phash.py); "" for a PDF


def sniff_type(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return HEIC
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    return None


def safe_original_name(name: str) -> str:
    """The display name only: no directories, no control characters, bounded length."""
    name = (name or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".") or "file"
    return name[-100:]


def _read_all(uploaded) -> bytes:
    limit = settings.UPLOAD_MAX_BYTES
    if getattr(uploaded, "size", 0) and uploaded.size > limit:
        raise ValidationError(_("文件超过 %(mb)s MB 上限。") % {"mb": limit // (1024 * 1024)})
    uploaded.seek(0)
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(_("文件超过 %(mb)s MB 上限。") % {"mb": limit // (1024 * 1024)})
    return data


def _size_refusal(width: int, height: int, content_type: str) -> str:
    if width > MAX_SIDE or height > MAX_SIDE or (content_type == JPEG and width * height > MAX_PIXELS):
        return _("图片尺寸过大（%(w)s×%(h)s 像素），请缩小到边长 %(max)s 像素以内后上传。") % {
            "w": width,
            "h": height,
            "max": MAX_SIDE,
        }
    if content_type == PNG and width * height > MAX_PNG_PIXELS:
        return _("PNG 图片像素过多（%(w)s×%(h)s），请改用手机拍照的 JPG 照片上传。") % {"w": width, "h": height}
    if content_type in MAX_CONVERTED_PIXELS and width * height > MAX_CONVERTED_PIXELS[content_type]:
        return _(
            "照片像素过多（%(w)s×%(h)s），无法转换。请在手机相机设置中选择“兼容性最佳”（拍成 JPG）后重拍，"
            "或截屏后上传截图。"
        ) % {"w": width, "h": height}
    return ""


def _clean_image(data: bytes, content_type: str) -> bytes:
    """Decode and re-encode, keeping a worker's memory bounded for any accepted file: a JPEG
    is decoded already reduced (DCT scaling, ``draft``), a PNG (no reduced decode) has a
    lower pixel cap, no step copies the pixels when it need not, and what is stored is at
    most ``STORED_SIDE`` on its long side (enough to read a stamped paper)."""
    expected = PILLOW_FORMAT[content_type]
    to_jpeg = STORED_TYPE[content_type] == JPEG  # HEIC and WebP are stored as JPEG
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                # Header only so far: refuse a pixel flood before decoding anything.
                width, height = probe.size
                refusal = _size_refusal(width, height, content_type)
                if refusal:
                    raise ValidationError(refusal)
                if probe.format != expected:
                    raise ValidationError(_("文件内容与图片格式不符。"))
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                if expected == "JPEG":
                    img.draft("RGB", (STORED_SIDE // 2, STORED_SIDE // 2))
                img.load()
                ImageOps.exif_transpose(img, in_place=True)
                target = "RGB" if to_jpeg else ("RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB")
                if img.mode != target:
                    img = img.convert(target)
                side = CONVERTED_SIDE if content_type in MAX_CONVERTED_PIXELS else STORED_SIDE
                if max(img.size) > side:
                    img.thumbnail((side, side))
                out = io.BytesIO()
                if to_jpeg:
                    img.save(out, "JPEG", quality=85, optimize=True)
                else:
                    img.save(out, "PNG", optimize=True)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("图片像素过多，疑似恶意文件，已拒绝。")) from None
    except Exception:  # Pillow raises many types for broken files; all mean the same to the user
        if content_type == HEIC:
            raise ValidationError(
                _("这张 HEIC 照片无法转换。请在手机相机设置中选择“兼容性最佳”（拍成 JPG）后重拍，或截屏后上传截图。")
            ) from None
        raise ValidationError(_("图片已损坏或格式不正确，请重新拍照或扫描后上传。")) from None
    return out.getvalue()


def _clean_pdf(data: bytes) -> bytes:
    if not re.match(rb"%PDF-\d\.\d", data[:16]):
        raise ValidationError(_("PDF 文件头不正确。"))
    if b"%%EOF" not in data[-2048:]:
        raise ValidationError(_("PDF 文件不完整（缺少结尾标记），请重新导出后上传。"))
    pdf_check(data)  # parsed by pypdf: every filter and object stream decoded and walked
    return data


def upload_clean(uploaded) -> CleanFile:
    """Validate an uploaded file and return the bytes we are willing to store."""
    original = safe_original_name(getattr(uploaded, "name", ""))
    data = _read_all(uploaded)
    if not data:
        raise ValidationError(_("文件为空。"))
    content_type = sniff_type(data[:16])
    if content_type is None:
        raise ValidationError(_("只接受 JPG、PNG、HEIC、WebP 图片或 PDF 文件。"))
    extension = "." + original.rsplit(".", 1)[-1].lower() if "." in original else ""
    if extension not in EXTENSIONS[content_type]:
        raise ValidationError(_("文件扩展名与文件内容不符，请上传原始的 JPG、PNG、HEIC、WebP 或 PDF 文件。"))
    content = _clean_pdf(data) if content_type == PDF else _clean_image(data, content_type)
    stored = STORED_TYPE[content_type]
    return CleanFile(
        content=content,
        content_type=stored,
        extension=STORED_EXTENSION[stored],
        original_name=original,
        sha256=hashlib.sha256(content).hexdigest(),
        phash="" if stored == PDF else phash_hex(dhash(content)),
    )
