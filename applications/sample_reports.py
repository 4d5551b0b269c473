"""Sample 学信网《教育部学籍在线验证报告》 PDFs with a real Chinese text layer, written by
hand (no PDF library): the demo uploads them as its workers' reports, and the tests and
``bench`` read them (``applications.chsi_report``).

The text is shown with a Type0 font (``Identity-H``): each character is a 2-byte CID of a
subset, and a ``/ToUnicode`` CMap maps the CIDs to Unicode, which is how pypdf (and any
viewer's copy-paste) reads the text. No glyphs are embedded, because a CJK font file is
megabytes (and licensed) while the reader needs only the text layer: the page renders as
boxes, but what it says is what a real report's text layer says. Both layouts are written
(``OLD_LAYOUT`` with 证件号码, ``NEW_LAYOUT`` without).
"""

import io
from datetime import date

OLD_LAYOUT = "old"  # 证件号码, 院系, 班级, 学号, 形式, 类型
NEW_LAYOUT = "new"  # no ID number


def report_lines(
    *,
    layout: str = NEW_LAYOUT,
    name: str = "张三",
    sex: str = "男",
    birth: date = date(1990, 1, 1),
    id_number: str = "110101199001011237",
    school: str = "济南职业学院",
    level: str = "专科",
    major: str = "机电一体化技术",
    form: str = "业余",
    enrolled: date = date(2026, 3, 1),
    status: str = "在籍（注册学籍）",
    code: str = "A1B2C3D4E5F6G7",
    updated: date = date(2026, 5, 20),
    valid_until: date = date(2027, 6, 1),
) -> list[str]:
    """The report's lines as 学信网 prints them, in the order of the layout."""

    def cn(d: date) -> str:
        return f"{d.year}年{d.month:02d}月{d.day:02d}日"

    head = ["教育部学籍在线验证报告"]
    if layout == OLD_LAYOUT:
        body = [
            f"姓名 {name}",
            f"性别 {sex}",
            f"证件号码 {id_number}",
            f"出生日期 {cn(birth)}",
            f"院校 {school}",
            "院系 继续教育学院",
            f"班级 {enrolled.year}级1班",
            f"专业 {major}",
            f"学号 {enrolled.year}0001",
            f"层次 {level}",
            "类型 成人高等教育",
            f"形式 {form}",
            f"入学日期 {cn(enrolled)}",
            f"学籍状态 {status}",
        ]
        tail = [f"在线验证码 {code}", f"更新日期 {cn(updated)}", f"有效期至 {cn(valid_until)}"]
    else:
        body = [
            f"更新日期：{cn(updated)}",
            f"姓名：{name}",
            f"性别：{sex}",
            f"出生日期：{cn(birth)}",
            f"学校名称：{school}",
            f"层次：{level}",
            f"专业：{major}",
            f"学习形式：{form}",
            f"入学日期：{cn(enrolled)}",
            f"学籍状态：{status}",
        ]
        tail = [f"在线验证码：{code}", f"在线验证报告有效期：至{cn(valid_until)}"]
    return head + body + tail


def _to_unicode(chars: list[str]) -> bytes:
    """A ToUnicode CMap for the characters used only, as a real report's subset font has
    (CID i+1 is ``chars[i]``), in blocks of at most 100 entries as the spec asks."""
    entries = [b"<%04X> <%04X>" % (i + 1, ord(ch)) for i, ch in enumerate(chars)]
    blocks = b"".join(
        b"%d beginbfchar\n" % len(entries[i : i + 100]) + b"\n".join(entries[i : i + 100]) + b"\nendbfchar\n"
        for i in range(0, len(entries), 100)
    )
    return (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        + blocks
        + b"endcmap CMapName currentdict /CMap defineresource pop end end\n"
    )


def _hex(text: str, cids: dict[str, int]) -> bytes:
    return b"<" + "".join(f"{cids[ch]:04X}" for ch in text).encode() + b">"


def pdf_of_objects(objects: list[bytes], *, trailer_extra: bytes = b"") -> bytes:
    """A PDF of numbered objects (1 is the catalog) with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref)
    )
    return out.getvalue()


def text_pdf(lines: list[str], *, pages: int = 1) -> bytes:
    """One or more A4 pages, the lines on the first; later pages are blank."""
    chars = sorted(set("".join(lines)))
    cids = {ch: i + 1 for i, ch in enumerate(chars)}
    to_unicode = _to_unicode(chars)
    ops = [b"BT /F1 12 Tf 14 TL 60 780 Td"]
    for line in lines:
        ops.append(_hex(line, cids) + b" Tj T*")
    ops.append(b"ET")
    content = b"\n".join(ops)
    page_ids = list(range(7, 7 + pages))
    kids = b" ".join(b"%d 0 R" % p for p in page_ids)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        b"<< /Length %d >>\nstream\n" % len(to_unicode) + to_unicode + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    for i, _p in enumerate(page_ids):
        contents = b"/Contents 6 0 R " if i == 0 else b""
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] %s/Resources << /Font << /F1 3 0 R >> >> >>"
            % contents
        )
    return pdf_of_objects(objects)


def report_pdf(**fields) -> bytes:
    """A one-page report; ``fields`` are those of ``report_lines``."""
    return text_pdf(report_lines(**fields))
