"""What the paper card can show of an uploaded PDF without a PDF renderer (none is
installed: no pdfium, poppler, MuPDF or Ghostscript, and pypdf parses but does not draw).

- Its page count (pypdf).
- Page 1's picture when the page is a scan: a phone scanner app or a copier makes a PDF whose
  page is one picture; pypdf hands that picture over and Pillow shrinks it. A PDF made of
  text and lines (e.g. the 学信网 report itself) has no such picture: the card then draws a
  page with "PDF" and the count, and the page says name, pages and size.
The picture's size is read from the image dictionary before anything is decoded, so a hostile
PDF cannot make us decode more than ``MAX_SCAN_PIXELS``."""

from dataclasses import dataclass

from PIL import Image
from pypdf import PdfReader

MAX_SCAN_PIXELS = 25_000_000  # an A4 page at 600 dpi is 35 MP; at 300 dpi 8.7 MP
MIN_SCAN_SIDE = 500  # smaller pictures are a photo or a logo on a text page, not the page


@dataclass(frozen=True)
class PdfFacts:
    pages: int
    scan_name: str | None  # the XObject name of page 1's scanned picture


def _scan_name(page) -> str | None:
    try:
        xobjects = page["/Resources"]["/XObject"]
    except (KeyError, TypeError):
        return None
    best, best_area = None, 0
    for name, ref in xobjects.items():
        obj = ref.get_object()
        if obj.get("/Subtype") != "/Image":
            continue
        width, height = int(obj.get("/Width", 0)), int(obj.get("/Height", 0))
        if min(width, height) < MIN_SCAN_SIDE or width * height > MAX_SCAN_PIXELS:
            continue
        if width * height > best_area:
            best, best_area = name, width * height
    return best


def pdf_facts(file) -> PdfFacts | None:
    """Page count and page 1's scanned picture, or None if pypdf cannot read the file
    (uploads were parsed by ``pdf_check`` already, so this is a stored file gone bad)."""
    try:
        reader = PdfReader(file)
        pages = len(reader.pages)
        return PdfFacts(pages=pages, scan_name=_scan_name(reader.pages[0]) if pages else None)
    except Exception:
        return None


def pdf_first_page_picture(file) -> Image.Image | None:
    try:
        reader = PdfReader(file)
        name = _scan_name(reader.pages[0])
        if name is None:
            return None
        return reader.pages[0].images[name].image
    except Exception:
        return None
