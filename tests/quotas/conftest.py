"""Fixtures for the quotas tests: a Jinan-shaped tree, a programme and its city source."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from quotas.models import AdminRole, FundingSource, Program, UnionLevel
from quotas.services import union_admin_create, union_create

DATA = Path(__file__).resolve().parents[2] / "quotas" / "demo_data"
JINAN_XLSX = DATA / "jinan-2024-quota-table.xlsx"
LINYI_XLSX = DATA / "linyi-2022-quota-table.xlsx"
JINAN_CSV = DATA / "jinan-2024-quota-table.csv"
LINYI_CSV = DATA / "linyi-2022-quota-table.csv"


def make_program(*, owner, slug, total, uses_unit_quotas=True, year=2024):
    program = Program.objects.create(
        owner_union=owner,
        year=year,
        name=f"{owner.name}{year}",
        slug=slug,
        review_tiers=["grassroots", "county", "city"],
    )
    source = FundingSource.objects.create(
        program=program,
        name="市总工会补助",
        payer_union=owner,
        amount_yuan=1000,
        total_slots=total,
        uses_unit_quotas=uses_unit_quotas,
    )
    return program, source


@pytest.fixture
def province(db):
    return union_create(name="山东省总工会", code="370000", level=UnionLevel.PROVINCE)


@pytest.fixture
def jinan(province):
    return union_create(name="济南市总工会", code="370100", level=UnionLevel.CITY, parent=province)


@pytest.fixture
def jinan_source(jinan):
    return make_program(owner=jinan, slug="jinan-2024", total=3500)[1]


@pytest.fixture
def small_city(province):
    """A city with two counties, each with two grassroots unions, and a 60-slot source."""
    city = union_create(name="测试市总工会", code="379900", level=UnionLevel.CITY, parent=province)
    a = union_create(name="甲区总工会", code="379901", level=UnionLevel.COUNTY, parent=city, member_count=3000)
    b = union_create(name="乙县总工会", code="379902", level=UnionLevel.COUNTY, parent=city, member_count=1000)
    for county in (a, b):
        for i in (1, 2):
            union_create(
                name=f"{county.name[:2]}基层工会{i}",
                code=f"{county.code}-{i}",
                level=UnionLevel.GRASSROOTS,
                parent=county,
            )
    program, source = make_program(owner=city, slug="test-city", total=60)
    return {"city": city, "a": a, "b": b, "program": program, "source": source}


def make_admin(username, union, role=AdminRole.MANAGER):
    user = get_user_model().objects.create_user(username=username)  # force_login: no hash to compute
    union_admin_create(user=user, union=union, role=role)
    return user
