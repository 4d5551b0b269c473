"""Seed data for the dashboard tests: a small city shaped like Jinan's, two counties, and
applications in every state. Figures the tests expect are derived from ``PLAN`` below."""

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from applications.models import Application, ApplicationStatus, Worker
from payouts.models import Award, AwardStatus, AwardVia
from qiuxue.crypto import encrypt_text, hmac_index
from qiuxue.masking import mask_bank_card, mask_id_number
from quotas.models import AdminRole, Batch, FundingSource, PayerRule, Program, Quota, Union, UnionLevel
from quotas.services import union_admin_create, union_create

S = ApplicationStatus
_seq = itertools.count(1)


def id_number_for(n: int) -> str:
    return f"370102199001{n:05d}1"[:17] + "X"


@dataclass
class City:
    city: Union
    counties: list[Union]
    grassroots: list[list[Union]]
    program: Program
    batch: Batch
    sources: dict[str, FundingSource]
    quotas: dict[int, Quota]
    apps: list[Application] = field(default_factory=list)


def user_make(username: str, *, email: str = ""):
    return get_user_model().objects.create_user(username=username, password=None, email=email)


def admin_make(union: Union, *, role: str = AdminRole.MANAGER, email: str = ""):
    user = user_make(f"admin-{union.code}-{next(_seq)}", email=email)
    union_admin_create(user=user, union=union, role=role)
    return user


def worker_make(union: Union, *, name: str = "张三丰", email: str = "") -> Worker:
    n = next(_seq)
    id_number = id_number_for(n)
    card = f"622202{n:013d}"
    return Worker.objects.create(
        user=user_make(f"w{n}"),
        name=name,
        id_number_encrypted=encrypt_text(id_number),
        id_number_hmac=hmac_index(id_number),
        id_number_masked=mask_id_number(id_number),
        birth_date=datetime(1990, 1, 1).date(),
        phone=f"139{n:08d}",
        email=email,
        employer="某公司",
        union=union,
        is_frontline=True,
        bank_name="工商银行",
        bank_card_encrypted=encrypt_text(card),
        bank_card_hmac=hmac_index(card),
        bank_card_masked=mask_bank_card(card),
    )


def city_make(*, now: datetime | None = None, parent: Union | None = None, name: str = "济南市总工会") -> City:
    now = now or timezone.now()
    tag = next(_seq)
    city = union_create(name=name, code=f"3701-{tag}", level=UnionLevel.CITY, parent=parent)
    counties, grassroots = [], []
    for i, name in enumerate(["历下区总工会", "市中区总工会"]):
        county = union_create(name=name, code=f"3701-{tag}-{i}", level=UnionLevel.COUNTY, parent=city)
        counties.append(county)
        grassroots.append(
            [
                union_create(
                    name=f"{name[:3]}第{j}公司工会",
                    code=f"3701-{tag}-{i}-{j}",
                    level=UnionLevel.GRASSROOTS,
                    parent=county,
                )
                for j in range(2)
            ]
        )
    program = Program.objects.create(
        owner_union=city,
        year=2024,
        name="2024年济南市求学圆梦行动",
        slug=f"jinan-2024-{tag}",
        eligible_levels=["dazhuan", "benke"],
        review_tiers=["grassroots", "county", "city"],
    )
    batch = Batch.objects.create(
        program=program,
        number=1,
        name="第一批",
        apply_opens=now - timedelta(days=10),
        apply_closes=now + timedelta(days=10),
        review_opens=now - timedelta(days=10),
        review_closes=now + timedelta(days=2),
    )
    province = FundingSource.objects.create(
        program=program, name="省总工会补助", payer_union=city, amount_yuan=1000, total_slots=10, position=1
    )
    city_money = FundingSource.objects.create(
        program=program,
        name="市总工会补助",
        payer_union=city,
        amount_yuan=1000,
        total_slots=8,
        uses_unit_quotas=True,
        position=2,
    )
    county_money = FundingSource.objects.create(
        program=program,
        name="县区配套",
        payer_rule=PayerRule.APPLICANT_COUNTY,
        amount_yuan=1000,
        matching_of=city_money,
        position=3,
    )
    quotas = {
        counties[0].pk: Quota.objects.create(source=city_money, union=counties[0], position=1, slots=5),
        counties[1].pk: Quota.objects.create(source=city_money, union=counties[1], position=2, slots=3),
    }
    Quota.objects.create(source=city_money, is_pool=True, position=99, slots=0, label="全市调剂名额")
    return City(
        city=city,
        counties=counties,
        grassroots=grassroots,
        program=program,
        batch=batch,
        sources={"province": province, "city": city_money, "county": county_money},
        quotas=quotas,
    )


def application_make(
    c: City,
    union: Union,
    status: str,
    *,
    tier: Union | None = None,
    submitted_at: datetime | None = None,
    worker: Worker | None = None,
    email: str = "",
) -> Application:
    worker = worker or worker_make(union, email=email)
    submitted = None if status == S.DRAFT else (submitted_at or timezone.now() - timedelta(days=3))
    n = next(_seq)
    return Application.objects.create(
        number=None if status == S.DRAFT else f"JN2024{n:05d}",
        worker=worker,
        program=c.program,
        batch=c.batch,
        level="dazhuan",
        school="济南职业学院",
        major="机电一体化",
        enrolled_on=timezone.localdate() - timedelta(days=30),
        chsi_code=f"CHSI{n}",
        chsi_expires_on=timezone.localdate() + timedelta(days=200),
        status=status,
        submitted_at=submitted,
        last_submitted_at=submitted,
        current_tier=tier if status == S.IN_REVIEW else None,
    )


def awards_make(c: City, app: Application, status: str) -> list[Award]:
    county = app.worker.union.parent
    rows = []
    for key in ("province", "city", "county"):
        source = c.sources[key]
        rows.append(
            Award.objects.create(
                application=app,
                source=source,
                batch=c.batch,
                amount_yuan=source.amount_yuan,
                via=AwardVia.UNIT_QUOTA if key == "city" else AwardVia.BATCH_SHARE,
                quota=c.quotas.get(county.pk) if key == "city" else None,
                payer_union=county if key == "county" else c.city,
                status=status,
            )
        )
    return rows


# Per county: (status, tier level or None, award status or None), one application each.
PLAN = {
    0: [
        (S.DRAFT, None, None),
        (S.IN_REVIEW, "grassroots", None),
        (S.IN_REVIEW, "grassroots", None),
        (S.IN_REVIEW, "county", None),
        (S.APPROVED, None, AwardStatus.PROPOSED),
        (S.APPROVED, None, AwardStatus.PUBLISHED),
        (S.PAID, None, AwardStatus.PAID),
        (S.REJECTED, None, None),
    ],
    1: [
        (S.IN_REVIEW, "city", None),
        (S.APPROVED, None, None),
        (S.PAID, None, AwardStatus.PAID),
        (S.PAID, None, AwardStatus.PAID),
    ],
}


def seed(c: City, *, days_back: int = 5) -> City:
    """Applications per ``PLAN``, submitted over the last ``days_back`` days."""
    for county_index, rows in PLAN.items():
        county = c.counties[county_index]
        for i, (status, tier_level, award_status) in enumerate(rows):
            union = c.grassroots[county_index][i % 2]
            tier = {"grassroots": union, "county": county, "city": c.city}.get(tier_level or "")
            app = application_make(
                c, union, status, tier=tier, submitted_at=timezone.now() - timedelta(days=i % days_back, hours=1)
            )
            if award_status:
                awards_make(c, app, award_status)
            c.apps.append(app)
    return c


def expected_for(county_index: int) -> dict[str, int]:
    rows = PLAN[county_index]
    return {
        "applications": sum(1 for s, _, _ in rows if s != S.DRAFT),
        "drafts": sum(1 for s, _, _ in rows if s == S.DRAFT),
        "in_review": sum(1 for s, _, _ in rows if s == S.IN_REVIEW),
        "approved": sum(1 for s, _, _ in rows if s in (S.APPROVED, S.PAID)),
        "awarded": sum(1 for _, _, a in rows if a),
        "paid": sum(1 for s, _, _ in rows if s == S.PAID),
        "rejected": sum(1 for s, _, _ in rows if s == S.REJECTED),
        "tier_grassroots": sum(1 for s, t, _ in rows if t == "grassroots"),
        "tier_county": sum(1 for s, t, _ in rows if t == "county"),
        "tier_city": sum(1 for s, t, _ in rows if t == "city"),
        # Three sources at 1000 yuan each for every award holder.
        "money_live": 3000 * sum(1 for _, _, a in rows if a),
        "money_paid": 3000 * sum(1 for _, _, a in rows if a == AwardStatus.PAID),
        "quota_used": sum(1 for _, _, a in rows if a),
    }
