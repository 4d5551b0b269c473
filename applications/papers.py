"""What each paper must show, in the worker's words: one card per paper on the edit page
(``templates/applications/_paper_card.html``), and the server-made previews of what was
uploaded (``paper_preview``)."""

import io

from django.utils.translation import gettext_lazy as _lazy
from PIL import Image, ImageDraw, ImageOps

from quotas.models import DocumentKind

from .pdf_preview import PdfFacts, pdf_facts, pdf_first_page_picture

# kind -> (what it must show, how to take it)
PAPER_GUIDES = {
    DocumentKind.APPLICATION_FORM: (
        _lazy("打印出的申请表，填好后加盖单位（基层工会）公章，签名、日期齐全。"),
        _lazy("把整页平放在桌上，四个角都拍进去，公章和签名要清楚。"),
    ),
    DocumentKind.RECOMMENDATION: (
        _lazy("打印出的助学推荐表，本人签名，基层工会和区总工会审核意见处盖章。"),
        _lazy("整页拍进去，两个公章都要看得清。"),
    ),
    DocumentKind.CHSI_REPORT: (
        _lazy("学信网下载的《教育部学籍在线验证报告》，能看到姓名、院校、专业、验证码和有效期。"),
        _lazy("最好直接上传从学信网下载的 PDF；也可以拍照或截图。"),
    ),
    DocumentKind.ID_FRONT: (
        _lazy("身份证有照片的一面，姓名和号码清楚。"),
        _lazy("放在深色桌面上，不要反光，四个角都拍进去。"),
    ),
    DocumentKind.ID_BACK: (
        _lazy("身份证有国徽的一面，签发机关和有效期限清楚。"),
        _lazy("放在深色桌面上，不要反光，四个角都拍进去。"),
    ),
    DocumentKind.BANK_CARD: (
        _lazy("本人名下银行卡有卡号的一面。"),
        _lazy("卡号要清楚，补助发到这张卡。"),
    ),
    DocumentKind.RANK_CERTIFICATE: (
        _lazy("单位出具的职级证明（科级及以下），加盖单位公章。"),
        _lazy("整页拍进去，公章要清楚。"),
    ),
    DocumentKind.ADMISSION_LETTER: (
        _lazy("录取通知书，能看到姓名、院校、专业。"),
        _lazy("整页拍进去，文字清楚。"),
    ),
}

THUMB_SIDE = 360  # the card's picture, 2× for a phone's pixels
FULL_SIDE = 1600  # the full-screen view: enough to read a stamp, a fraction of the stored file


def paper_guide(kind: str) -> tuple[str, str]:
    must_show, hint = PAPER_GUIDES.get(kind, ("", ""))
    return str(must_show), str(hint)


def _pdf_card(side: int, pages: int | None) -> bytes:
    # No PDF renderer on the server (``pdf_preview``): a drawn page with "PDF" and its page
    # count stands in for a PDF of text; the card's caption says the same in Chinese.
    width, height = side * 3 // 4, side
    img = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width - 1, height - 1), outline=(180, 180, 180), width=max(2, side // 120))
    for i in range(6):
        y = height // 3 + i * height // 14
        draw.line((width // 8, y, width * 7 // 8, y), fill=(200, 200, 200), width=max(2, side // 90))
    draw.rectangle((width // 8, height // 10, width * 7 // 8, height // 4), fill=(196, 30, 58))
    draw.text((width // 2, height * 7 // 40), "PDF", fill=(255, 255, 255), anchor="mm", font_size=side // 10)
    if pages:
        label = f"1 / {pages}"
        draw.text((width // 2, height * 9 // 10), label, fill=(80, 80, 80), anchor="mm", font_size=side // 12)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def _jpeg_of(img: Image.Image, side: int) -> bytes:
    img = ImageOps.exif_transpose(img)
    if img.mode != "RGB":
        img = img.convert("RGB")
    img.thumbnail((side, side))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def _pdf_preview(attachment, side: int) -> bytes:
    with attachment.file.open("rb") as f:
        picture = pdf_first_page_picture(f)
        if picture is not None:  # page 1 is a scan: show it
            return _jpeg_of(picture, side)
        f.seek(0)
        facts = pdf_facts(f)
    return _pdf_card(side, facts.pages if facts else None)


def paper_preview(*, attachment, side: int) -> bytes:
    """A JPEG of the paper at most ``side`` long, made here (no CDN, nothing of the
    original file's bytes sent back but its pixels). Stored images are already cleaned
    and at most 4000 px (``uploads``), and JPEGs are decoded reduced."""
    if attachment.content_type == "application/pdf":
        return _pdf_preview(attachment, side)
    with attachment.file.open("rb") as f, Image.open(f) as img:
        if img.format == "JPEG":
            img.draft("RGB", (side, side))
        img.load()
        return _jpeg_of(img, side)


def pdf_facts_of(attachment) -> PdfFacts | None:
    """Pages and whether page 1 is a scan, for the PDF card's caption."""
    if attachment is None or attachment.content_type != "application/pdf":
        return None
    with attachment.file.open("rb") as f:
        return pdf_facts(f)
