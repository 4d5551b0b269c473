"""Test data built through the real services: unions, programmes, workers, real files."""

import io
import itertools
import re
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from applications.services import (
    ApplicationData,
    ProfileData,
    application_create_draft,
    attachment_upload,
    worker_profile_save,
)
from quotas.models import AllocationMode, Batch, DocumentKind, EducationLevel, FundingSource, Program, UnionLevel
from quotas.services import union_create

_seq = itertools.count(1)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id_number(birth: date | None = None, n: int | None = None, region: str = "370102") -> str:
    """An 18-digit ID with a correct GB 11643 check character (independent of the app's code)."""
    birth = birth or date(1990, 3, 15)
    n = next(_seq) if n is None else n
    body = f"{region}{birth:%Y%m%d}{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS))
    return body + "10X98765432"[total % 11]


def make_card(n: int | None = None, prefix: str = "622202") -> str:
    n = next(_seq) if n is None else n
    body = f"{prefix}{n:012d}"[:18]
    digits = [int(d) for d in body]
    # Luhn check digit: double every second digit from the right of the final number.
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def make_phone(n: int | None = None) -> str:
    n = next(_seq) if n is None else n
    return f"139{n:08d}"


def jpeg_bytes(size=(64, 48), color=(200, 30, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


def png_bytes(size=(40, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", size, (10, 120, 200, 255)).save(buf, "PNG")
    return buf.getvalue()


def pdf_bytes(extra: bytes = b"") -> bytes:
    """A small valid one-page PDF (real xref offsets, so a strict parser reads it), plus any
    ``N 0 obj … endobj`` objects in ``extra``."""
    body = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n" + extra
    )
    return pdf_with_xref(body, root=1)


def pdf_with_xref(body: bytes, *, root: int) -> bytes:
    """Append a classic xref table with each ``N 0 obj`` offset found in ``body``, and the trailer."""
    offsets = {int(m.group(1)): m.start(1) for m in re.finditer(rb"(?:^|\n)(\d+) 0 obj", body)}
    size = max(offsets) + 1
    rows = [b"0000000000 65535 f \n"] + [
        (b"%010d 00000 n \n" % offsets[n]) if n in offsets else b"0000000000 00000 f \n" for n in range(1, size)
    ]
    xref = len(body)
    return (
        body
        + b"xref\n0 %d\n" % size
        + b"".join(rows)
        + b"trailer << /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
    )


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def make_tree():
    city = union_create(name="济南市总工会", code=f"c{next(_seq)}", level=UnionLevel.CITY)
    county = union_create(name="历下区总工会", code=f"k{next(_seq)}", level=UnionLevel.COUNTY, parent=city)
    town = union_create(name="泉城路街道工会", code=f"t{next(_seq)}", level=UnionLevel.TOWNSHIP, parent=county)
    shop = union_create(name="泉城软件公司工会", code=f"g{next(_seq)}", level=UnionLevel.GRASSROOTS, parent=town)
    other_city = union_create(name="咸宁市总工会", code=f"c{next(_seq)}", level=UnionLevel.CITY)
    other = union_create(name="温泉快递联合工会", code=f"g{next(_seq)}", level=UnionLevel.GRASSROOTS, parent=other_city)
    return {"city": city, "county": county, "town": town, "shop": shop, "other_city": other_city, "other": other}


STANDARD_DOCS = [DocumentKind.APPLICATION_FORM, DocumentKind.CHSI_REPORT, DocumentKind.ID_FRONT]


def make_program(owner, *, mode=AllocationMode.BATCH, slots=100, open_now=True, **fields) -> Program:
    year = timezone.localdate().year
    program = Program.objects.create(
        owner_union=owner,
        year=year,
        name=fields.pop("name", f"{year}年测试方案{next(_seq)}"),
        slug=f"p{next(_seq)}",
        eligible_levels=fields.pop("eligible_levels", [EducationLevel.DAZHUAN, EducationLevel.BENKE]),
        required_documents=fields.pop("required_documents", STANDARD_DOCS),
        public_sector_documents=fields.pop("public_sector_documents", [DocumentKind.RANK_CERTIFICATE]),
        review_tiers=fields.pop("review_tiers", ["grassroots", "county", "city"]),
        allocation_mode=mode,
        **fields,
    )
    now = timezone.now()
    if open_now:
        Batch.objects.create(
            program=program,
            number=1,
            apply_opens=now - timedelta(days=1),
            apply_closes=now + timedelta(days=10),
            review_opens=now - timedelta(days=1),
            review_closes=now + timedelta(days=20),
        )
    else:
        Batch.objects.create(
            program=program,
            number=1,
            apply_opens=now - timedelta(days=20),
            apply_closes=now - timedelta(days=10),
            review_opens=now - timedelta(days=20),
            review_closes=now - timedelta(days=1),
        )
    FundingSource.objects.create(
        program=program, name="工会补助", payer_union=owner, amount_yuan=1000, total_slots=slots
    )
    return program


def make_user(phone: str | None = None, password: str = "Qx-test-pass-2024"):
    phone = phone or make_phone()
    return get_user_model().objects.create_user(username=phone, password=password)


def make_worker(union, *, user=None, **overrides):
    user = user or make_user()
    data = {
        "name": "张三丰",
        "employer": "泉城软件公司",
        "union": union,
        "bank_name": "中国工商银行",
        "id_number": make_id_number(),
        "bank_card": make_card(),
        "is_frontline": True,
        **overrides,
    }
    return worker_profile_save(user=user, data=ProfileData(**data))


def app_data(**overrides) -> ApplicationData:
    today = timezone.localdate()
    data = {
        "level": EducationLevel.DAZHUAN,
        "school": "山东开放大学",
        "major": "机电一体化技术",
        "enrolled_on": date(today.year, 3, 1),
        "chsi_code": f"ABCD{next(_seq):012d}",  # every report has its own code
        "chsi_expires_on": today + timedelta(days=240),
        **overrides,
    }
    return ApplicationData(**data)


def make_ready_application(worker, program, **overrides):
    """A draft with every required paper uploaded, ready to submit."""
    app = application_create_draft(worker=worker, program=program, data=app_data(**overrides), actor=worker.user)
    from applications.eligibility import required_documents_for

    for kind in required_documents_for(program=program, worker=worker):
        attachment_upload(application=app, kind=kind, uploaded_file=upload("a.jpg", jpeg_bytes()), actor=worker.user)
    return app
