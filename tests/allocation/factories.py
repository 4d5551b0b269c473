"""Small builders for allocation tests: a union tree, a programme, approved applications.

Applications are inserted in bulk in their final state (approved at a given submission
time): the allocation reads only that state, and going through every review tier for
hundreds of applicants would test the review app, not this one.
"""

import csv
import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from applications.models import Application, ApplicationStatus, Worker
from quotas.demo import DATA_DIR
from quotas.models import AdminRole, Batch, FundingSource, Program, Quota, Union, UnionLevel
from quotas.services import union_admin_create, union_create

DATA = DATA_DIR
TZ = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


def at(day: int, minute: int = 0, month: int = 5, year: int = 2024) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=TZ) + timedelta(minutes=minute)


def union(name: str, level: str, parent: Union | None = None) -> Union:
    return union_create(name=name, code=f"u{next(_seq)}", level=level, parent=parent)


def city_staff(city: Union, username: str = "city-manager"):
    user = get_user_model().objects.create_user(username=username, password="x-Password-1")
    union_admin_create(user=user, union=city, role=AdminRole.MANAGER)
    return user


def program(owner: Union, slug: str, *, batches: int = 0, mode: str = "batch", year: int = 2024) -> Program:
    prog = Program.objects.create(
        owner_union=owner,
        year=year,
        name=f"{owner.name}{year}年求学圆梦行动",
        slug=slug,
        eligible_levels=["dazhuan", "benke"],
        review_tiers=["grassroots", "county", "city"],
        allocation_mode=mode,
    )
    windows = [(5, 8, 6, 6), (6, 17, 6, 28), (10, 15, 11, 8)]
    for number in range(1, batches + 1):
        m1, d1, m2, d2 = windows[number - 1] if number <= 3 else (12, 1, 12, 20)
        Batch.objects.create(
            program=prog,
            number=number,
            apply_opens=datetime(year, m1, d1, tzinfo=TZ),
            apply_closes=datetime(year, m2, d2, 23, 59, tzinfo=TZ),
            review_opens=datetime(year, m1, d1, tzinfo=TZ),
            review_closes=datetime(year, m2, d2, 23, 59, tzinfo=TZ) + timedelta(days=10),
        )
    return prog


def source(prog: Program, name: str, amount: int, **kw) -> FundingSource:
    kw.setdefault("position", prog.sources.count())
    if kw.get("payer_rule", "fixed") == "fixed" and "payer_union" not in kw and "payer_name" not in kw:
        kw["payer_union"] = prog.owner_union
    return FundingSource.objects.create(program=prog, name=name, amount_yuan=amount, **kw)


def quota(src: FundingSource, unit: Union | None, slots: int, position: int = 0) -> Quota:
    return Quota.objects.create(source=src, union=unit, is_pool=unit is None, slots=slots, position=position)


def workers(unit: Union, n: int) -> list[Worker]:
    User = get_user_model()
    ids = [next(_seq) for _ in range(n)]
    users = User.objects.bulk_create([User(username=f"w{i}", password="!") for i in ids])
    return Worker.objects.bulk_create(
        [
            Worker(
                user=u,
                name=f"职工{i}",
                id_number_encrypted="x",
                id_number_hmac=f"id{i}",
                id_number_masked="3701**********0000",
                birth_date=date(1990, 1, 1),
                phone=f"139{i:08d}",
                employer=unit.name,
                union=unit,
                bank_name="工商银行",
                bank_card_encrypted="x",
                bank_card_hmac=f"card{i}",
                bank_card_masked="6222 **** **** 0000",
            )
            for u, i in zip(users, ids, strict=True)
        ]
    )


def applications(
    prog: Program,
    unit: Union,
    times: list[datetime],
    *,
    batch: Batch | None = None,
    status: str = ApplicationStatus.APPROVED,
    **extra,
) -> list[Application]:
    """One approved application per submission time, each by a new worker of ``unit``."""
    ws = workers(unit, len(times))
    return Application.objects.bulk_create(
        [
            Application(
                number=f"A{next(_seq):08d}",
                worker=w,
                program=prog,
                batch=batch,
                level="dazhuan",
                school="山东大学",
                major="机械",
                enrolled_on=date(prog.year, 3, 1),
                chsi_code="X",
                chsi_expires_on=date(prog.year + 1, 3, 1),
                status=status,
                submitted_at=t,
                union_path=unit.path,
                **extra,
            )
            for w, t in zip(ws, times, strict=True)
        ]
    )


def quota_table(name: str) -> list[tuple[int, str, int]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        return [(int(r[0]), r[1], int(r[2])) for r in reader if r and r[0].strip()]


def city_with_units(city_name: str, table: str) -> tuple[Union, dict[str, Union], int]:
    """A city and one union per row of a real quota table (counties where the name says
    so, else industry unions); returns (city, unions by name, pool slots)."""
    city = union(city_name, UnionLevel.CITY)
    units: dict[str, Union] = {}
    pool = 0
    for _pos, name, slots in quota_table(table):
        if name == "全市调剂名额":
            pool = slots
            continue
        level = UnionLevel.COUNTY if name.endswith(("区总工会", "县总工会")) else UnionLevel.INDUSTRY
        units[name] = union(name, level, city)
    return city, units, pool


def window_still_open(*batches: Batch) -> None:
    """Today falls inside the batches' application windows (they have not closed yet): a
    batch whose window is open keeps its whole share, however few applied so far."""
    now = timezone.now()
    for b in batches:
        Batch.objects.filter(pk=b.pk).update(
            apply_opens=now - timedelta(days=1),
            apply_closes=now + timedelta(days=30),
            review_opens=now - timedelta(days=1),
            review_closes=now + timedelta(days=40),
        )


def window_closed(*batches: Batch) -> None:
    """The batches' application windows are over (a week ago)."""
    now = timezone.now()
    for b in batches:
        Batch.objects.filter(pk=b.pk).update(
            apply_opens=now - timedelta(days=30),
            apply_closes=now - timedelta(days=7),
            review_opens=now - timedelta(days=30),
            review_closes=now - timedelta(days=1),
        )
