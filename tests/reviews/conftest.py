"""Fixtures for the review tests: a Jinan-like tree, admins per tier, submitted applications.

Applications are submitted with ``application_transition(SUBMIT)`` directly, the same
changes ``applications.services.application_submit`` writes (review chain, current tier,
number, batch, submitted_at), so the tests can also build cases the worker-side
eligibility checks would refuse at submission (the flags exist for exactly those).
"""

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from applications.models import Application, Attachment, Worker
from applications.workflow import Action, application_transition
from qiuxue.crypto import encrypt_text, hmac_index
from qiuxue.masking import mask_bank_card, mask_id_number
from quotas.models import AdminRole, Batch, EducationLevel, Program, UnionLevel
from quotas.selectors import review_chain_for
from quotas.services import union_admin_create, union_create

TIERS = ["grassroots", "township", "county", "city"]
_seq = itertools.count(1)


@dataclass
class Tree:
    city: object
    county_a: object
    township_a: object
    grassroots_a1: object
    grassroots_a2: object
    county_b: object
    township_b: object
    grassroots_b: object
    industry: object
    grassroots_i: object
    other_city: object
    other_county: object
    other_township: object
    other_grassroots: object


@pytest.fixture
def tree(db) -> Tree:
    u = union_create
    city = u(name="济南市总工会", code="JN", level=UnionLevel.CITY)
    county_a = u(name="历下区总工会", code="JN-LX", level=UnionLevel.COUNTY, parent=city)
    township_a = u(name="解放路街道工会", code="JN-LX-JFL", level=UnionLevel.TOWNSHIP, parent=county_a)
    g_a1 = u(name="甲公司工会", code="JN-LX-JFL-1", level=UnionLevel.GRASSROOTS, parent=township_a)
    g_a2 = u(name="乙公司工会", code="JN-LX-JFL-2", level=UnionLevel.GRASSROOTS, parent=township_a)
    county_b = u(name="市中区总工会", code="JN-SZ", level=UnionLevel.COUNTY, parent=city)
    township_b = u(name="大观园街道工会", code="JN-SZ-DGY", level=UnionLevel.TOWNSHIP, parent=county_b)
    g_b = u(name="丙公司工会", code="JN-SZ-DGY-1", level=UnionLevel.GRASSROOTS, parent=township_b)
    industry = u(name="济南重工集团工会", code="JN-ZG", level=UnionLevel.ENTERPRISE, parent=city)
    g_i = u(name="重工一厂工会", code="JN-ZG-1", level=UnionLevel.GRASSROOTS, parent=industry)
    other_city = u(name="临沂市总工会", code="LY", level=UnionLevel.CITY)
    other_county = u(name="兰山区总工会", code="LY-LS", level=UnionLevel.COUNTY, parent=other_city)
    other_township = u(name="银雀山街道工会", code="LY-LS-YQS", level=UnionLevel.TOWNSHIP, parent=other_county)
    other_g = u(name="丁公司工会", code="LY-LS-YQS-1", level=UnionLevel.GRASSROOTS, parent=other_township)
    return Tree(
        city, county_a, township_a, g_a1, g_a2, county_b, township_b, g_b, industry, g_i,
        other_city, other_county, other_township, other_g,
    )  # fmt: skip


def make_program(owner, *, year=None, mode="batch", window_open=True, slug=None) -> tuple[Program, Batch]:
    now = timezone.now()
    year = year or timezone.localdate().year
    program = Program.objects.create(
        owner_union=owner,
        year=year,
        name=f"{year}年{owner.name}求学圆梦行动",
        slug=slug or f"p-{owner.code.lower()}-{year}-{next(_seq)}",
        eligible_levels=["dazhuan", "benke"],
        required_documents=["chsi", "id_front"],
        public_sector_documents=["rank_cert"],  # Jinan's rule: public-sector staff add a 职级证明
        review_tiers=TIERS,
        allocation_mode=mode,
    )
    if window_open:
        opens, closes = now - timedelta(days=10), now + timedelta(days=10)
    else:
        opens, closes = now - timedelta(days=40), now - timedelta(days=20)
    batch = Batch.objects.create(
        program=program,
        number=1,
        apply_opens=now - timedelta(days=30),
        apply_closes=now + timedelta(days=5),
        review_opens=opens,
        review_closes=closes,
    )
    return program, batch


@pytest.fixture
def program(tree):
    return make_program(tree.city)


@pytest.fixture
def other_program(tree):
    return make_program(tree.other_city)


def make_user(username: str):
    # No password: tests sign in with ``client.force_login`` and skip the (slow, on purpose)
    # password hashing.
    return get_user_model().objects.create_user(username=username, password=None)


def make_admin(union, role=AdminRole.REVIEWER, *, username=None):
    user = make_user(username or f"admin-{union.code}-{role}-{next(_seq)}")
    union_admin_create(user=user, union=union, role=role)
    return user


def make_worker(
    union,
    *,
    name="张三丰",
    id_number=None,
    bank_card=None,
    phone=None,
    public_sector=False,
    migrant=False,
) -> Worker:
    n = next(_seq)
    id_number = id_number or f"370102199001{n:06d}"
    bank_card = bank_card or f"6222020200{n:09d}"
    user = make_user(f"worker-{n}")
    return Worker.objects.create(
        user=user,
        name=name,
        id_number_encrypted=encrypt_text(id_number),
        id_number_hmac=hmac_index(id_number),
        id_number_masked=mask_id_number(id_number),
        birth_date=date(1990, 1, 1),
        phone=phone or f"139{n:08d}",
        employer=f"{union.name}所在单位",
        union=union,
        is_frontline=True,
        is_migrant=migrant,
        is_public_sector=public_sector,
        bank_name="工商银行",
        bank_card_encrypted=encrypt_text(bank_card),
        bank_card_hmac=hmac_index(bank_card),
        bank_card_masked=mask_bank_card(bank_card),
    )


def make_submitted(
    worker,
    program_batch,
    *,
    level=EducationLevel.DAZHUAN,
    enrolled_on=None,
    chsi_days=365,
    submitted_at=None,
    status_after=None,
    prepare=None,
) -> Application:
    program, batch = program_batch
    submitted_at = submitted_at or timezone.now()
    app = Application.objects.create(
        worker=worker,
        program=program,
        level=level,
        school="山东开放大学",
        major="机电一体化技术",
        enrolled_on=enrolled_on or date(program.year, 3, 1),
        chsi_code=f"CHSI{next(_seq):08d}",
        chsi_expires_on=submitted_at.date() + timedelta(days=chsi_days),
    )
    if prepare is not None:  # papers or facts the submission should already carry
        prepare(app)
    chain = review_chain_for(union=worker.union, tiers=program.review_tiers)
    application_transition(
        application=app,
        action=Action.SUBMIT,
        actor=worker.user,
        changes={
            "batch": batch,
            "submitted_at": submitted_at,
            "last_submitted_at": submitted_at,
            "review_chain": [u.pk for u in chain],
            "current_tier": chain[0],
            "number": f"T{program.year}{app.pk:07d}",
        },
    )
    app.refresh_from_db()
    return app


def add_attachment(app, kind, *, content=None, content_type="application/pdf") -> Attachment:
    import hashlib

    # Each paper its own file: two workers' identical files are a copied-paper flag.
    content = content or f"%PDF-1.4\n% test {app.pk} {kind}\n".encode()

    from django.core.files.base import ContentFile

    att = Attachment(
        application=app,
        kind=kind,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        original_name=f"{kind}.pdf",
    )
    att.file.save(f"{kind}-{app.pk}.bin", ContentFile(content), save=False)
    att.save()
    return att
