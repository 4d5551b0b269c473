"""A small Jinan-like programme: province + city money paid by the city, county matching
paid by each county, a university share; approved applications with proposed awards."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from applications.models import Application, ApplicationStatus, Worker
from applications.validators import id_check_char, luhn_check_digit
from qiuxue.crypto import encrypt_text, hmac_index
from qiuxue.masking import mask_bank_card, mask_id_number
from quotas.models import AdminRole, Batch, FundingSource, PayerRule, Program, UnionLevel
from quotas.services import union_admin_create, union_create


def luhn_complete(prefix: str) -> str:
    """Append the Luhn check digit, so the card passes the profile's validator."""
    return prefix + luhn_check_digit(prefix)


def id_number_ending_x(serial: int) -> str:
    """A valid 18-character ID number whose check character is X."""
    for tail in range(1000):
        first17 = f"370102198{serial % 10}0{(serial % 9) + 1}1{(serial % 9) + 1}{tail:03d}"
        if id_check_char(first17) == "X":
            return first17 + "X"
    raise AssertionError("no X check character found")


@dataclass
class Scenario:
    city: object
    counties: list
    grassroots: list
    program: Program
    batch: Batch
    province: FundingSource
    city_money: FundingSource
    matching: FundingSource
    university: FundingSource
    applications: list = field(default_factory=list)
    numbers: dict = field(default_factory=dict)  # application id -> (id_number, card)


def staff(union, role, username):
    user = get_user_model().objects.create_user(username=username, password=None)  # force_login: no slow hashing
    union_admin_create(user=user, union=union, role=role)
    return user


def make_worker(*, n: int, union, name: str, employer: str, id_number: str, card: str) -> Worker:
    user = get_user_model().objects.create_user(username=f"1380000{n:04d}", password=None)
    return Worker.objects.create(
        user=user,
        name=name,
        id_number_encrypted=encrypt_text(id_number),
        id_number_hmac=hmac_index(id_number),
        id_number_masked=mask_id_number(id_number),
        birth_date=date(1988, 3, 4),
        phone=f"1380000{n:04d}",
        employer=employer,
        union=union,
        bank_name="中国工商银行济南分行",
        bank_card_encrypted=encrypt_text(card),
        bank_card_hmac=hmac_index(card),
        bank_card_masked=mask_bank_card(card),
        is_frontline=True,
    )


@pytest.fixture
def scenario(db) -> Scenario:
    city = union_create(name="济南市总工会", code="370100", level=UnionLevel.CITY)
    counties = [
        union_create(name="历下区总工会", code="370102", level=UnionLevel.COUNTY, parent=city),
        union_create(name="市中区总工会", code="370103", level=UnionLevel.COUNTY, parent=city),
    ]
    grassroots = [
        union_create(name=f"{c.name}某公司工会", code=f"{c.code}-001", level=UnionLevel.GRASSROOTS, parent=c)
        for c in counties
    ]
    program = Program.objects.create(
        owner_union=city,
        year=2024,
        name="2024年济南市一线职工求学圆梦行动",
        slug="jinan-2024",
        eligible_levels=["dazhuan", "benke"],
        required_documents=[],
        review_tiers=["grassroots", "county", "city"],
        publicity_days=7,
    )
    now = timezone.now()
    batch = Batch.objects.create(
        program=program,
        number=1,
        apply_opens=now - timedelta(days=60),
        apply_closes=now - timedelta(days=30),
        review_opens=now - timedelta(days=60),
        review_closes=now - timedelta(days=20),
    )
    province = FundingSource.objects.create(
        program=program, name="省级补助", payer_union=city, amount_yuan=1000, total_slots=100, position=1
    )
    city_money = FundingSource.objects.create(
        program=program, name="市级补助", payer_union=city, amount_yuan=1000, total_slots=100, position=2
    )
    matching = FundingSource.objects.create(
        program=program,
        name="县区配套补助",
        payer_rule=PayerRule.APPLICANT_COUNTY,
        amount_yuan=1000,
        matching_of=city_money,
        position=3,
    )
    university = FundingSource.objects.create(
        program=program, name="高校补助", payer_name="咸安某大学", amount_yuan=1000, total_slots=100, position=4
    )
    sc = Scenario(city, counties, grassroots, program, batch, province, city_money, matching, university)
    names = ["张三丰", '=HYPERLINK("http://evil.example","点我")', "李四", "王小二", "赵六"]
    units = ["济南某机械有限公司", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "山东某物流公司"]
    from payouts.models import Award, AwardVia  # after django setup: payouts imports apps

    for i, (name, unit) in enumerate(zip(names, units, strict=True)):
        id_number = id_number_ending_x(i)
        card = luhn_complete(f"622202160200{i:06d}")  # 19 digits
        worker = make_worker(n=i, union=grassroots[i % 2], name=name, employer=unit, id_number=id_number, card=card)
        app = Application.objects.create(
            number=f"JN2024-{i:05d}",
            worker=worker,
            program=program,
            batch=batch,
            level="dazhuan",
            school="山东开放大学",
            major="机械设计与制造",
            enrolled_on=date(2024, 3, 1),
            chsi_code=f"A{i:07d}",
            chsi_expires_on=date(2025, 3, 1),
            status=ApplicationStatus.APPROVED,
            submitted_at=now - timedelta(days=40, minutes=-i),
        )
        sc.applications.append(app)
        sc.numbers[app.pk] = (id_number, card)
        county = counties[i % 2]
        for source, via, payer in (
            (province, AwardVia.BATCH_SHARE, city),
            (city_money, AwardVia.UNIT_QUOTA, city),
            (matching, AwardVia.MATCHING, county),
            (university, AwardVia.BATCH_SHARE, None),
        ):
            Award.objects.create(
                application=app,
                source=source,
                batch=batch,
                amount_yuan=source.amount_yuan,
                via=via,
                payer_union=payer,
                rank=i + 1,
            )
    return sc


@pytest.fixture
def city_finance(scenario):
    return staff(scenario.city, AdminRole.FINANCE, "city-finance")


@pytest.fixture
def city_reviewer(scenario):
    return staff(scenario.city, AdminRole.REVIEWER, "city-reviewer")


@pytest.fixture
def county_finance(scenario):
    return staff(scenario.counties[0], AdminRole.FINANCE, "lixia-finance")


def publish_and_end(sc: Scenario, actor) -> object:
    """Open the batch's publicity and move its end into the past (the period has run)."""
    from payouts.models import Publicity
    from payouts.publicity.services import publicity_open

    publicity = publicity_open(program=sc.program, batch=sc.batch, actor=actor)
    Publicity.objects.filter(pk=publicity.pk).update(
        starts_at=timezone.now() - timedelta(days=8), ends_at=timezone.now() - timedelta(minutes=1)
    )
    publicity.refresh_from_db()
    return publicity


def end_period(publicity) -> None:
    """Move a running period into the past, as if its days had run."""
    from payouts.models import Publicity

    Publicity.objects.filter(pk=publicity.pk).update(
        starts_at=timezone.now() - timedelta(days=8), ends_at=timezone.now() - timedelta(seconds=1)
    )
    publicity.refresh_from_db()
