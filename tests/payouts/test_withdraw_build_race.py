"""A withdrawal racing a payout-list build never leaves the withdrawn claim on a list.

The build reads the payable awards, then writes thousands of lines and commits. A
withdrawal that lands in between must either wait for the list (and then void the line it
finds) or have the award skipped by the build. Real threads on PostgreSQL; the withdrawal
is started at the moment the build has read its awards, seen from ``pg_stat_activity``.
Remove the award lock in ``payout_list_build`` and this fails.
"""

import threading
import time
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from applications.models import Application, ApplicationStatus, Worker
from applications.services import application_withdraw
from payouts.models import Award, AwardStatus, AwardVia, PayoutLine, PayoutLineStatus
from payouts.payout.services import payout_list_build
from qiuxue.crypto import encrypt_text, hmac_index
from quotas.models import FundingSource

from .conftest import publish_and_end

PEOPLE = 4000


def _many_published_awards(sc, n: int) -> tuple[FundingSource, list[Application]]:
    source = FundingSource.objects.create(
        program=sc.program, name="企业配套补助", payer_union=sc.city, amount_yuan=500, total_slots=n, position=9
    )
    card, id_number = encrypt_text("6222021602000000008"), encrypt_text("370102199001011237")
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"1390000{i:04d}", password="!") for i in range(n)
    )
    workers = Worker.objects.bulk_create(
        Worker(
            user=u,
            name=f"职工{i}",
            id_number_encrypted=id_number,
            id_number_hmac=hmac_index(f"id-{i}"),
            id_number_masked="3701**********1237",
            birth_date=date(1990, 1, 1),
            phone=u.username,
            employer="济南某公司",
            union=sc.grassroots[0],
            bank_name="中国银行",
            bank_card_encrypted=card,
            bank_card_hmac=hmac_index(f"card-{i}"),
            bank_card_masked="6222 **** 0008",
        )
        for i, u in enumerate(users)
    )
    now = timezone.now()
    apps = Application.objects.bulk_create(
        Application(
            number=f"JN2024-R{i:05d}",
            worker=w,
            program=sc.program,
            batch=sc.batch,
            level="dazhuan",
            school="山东开放大学",
            major="会计",
            enrolled_on=date(2024, 3, 1),
            chsi_code=f"R{i:07d}",
            chsi_expires_on=date(2025, 3, 1),
            status=ApplicationStatus.APPROVED,
            submitted_at=now - timedelta(days=40, seconds=-i),
            union_path=sc.grassroots[0].path,
        )
        for i, w in enumerate(workers)
    )
    Award.objects.bulk_create(
        Award(
            application=a,
            source=source,
            batch=sc.batch,
            amount_yuan=500,
            via=AwardVia.TOTAL,
            rank=i + 1,
            status=AwardStatus.PUBLISHED,
            payer_union=sc.city,
        )
        for i, a in enumerate(apps)
    )
    return source, apps


def _build_has_read_its_awards() -> bool:
    """Another backend, inside a transaction, whose last statement read the awards or wrote
    the list: the build is between its read and its commit."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT count(*) FROM pg_stat_activity
               WHERE pid <> pg_backend_pid() AND xact_start IS NOT NULL
                 AND (query LIKE 'SELECT %%FROM "payouts_award"%%' OR query LIKE 'INSERT INTO "payouts_payout%%')"""
        )
        return cur.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_withdrawal_during_a_list_build_never_leaves_its_award_on_the_list(scenario, city_finance):
    sc = scenario
    publish_and_end(sc, city_finance)
    source, apps = _many_published_awards(sc, PEOPLE)
    leaver = apps[-1]  # the last line the build writes
    errors: list[BaseException] = []

    def build():
        try:
            payout_list_build(program=sc.program, source=source, batch=sc.batch, actor=city_finance)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    builder = threading.Thread(target=build)
    builder.start()
    deadline = time.monotonic() + 30
    while not _build_has_read_its_awards():
        assert builder.is_alive() and time.monotonic() < deadline, "the build finished before it was seen"
        time.sleep(0.001)
    application_withdraw(application=leaver, actor=leaver.worker.user, reason="已离职")
    builder.join(timeout=60)

    assert not errors, errors
    assert Award.objects.get(application=leaver, source=source).status == AwardStatus.VOID
    live = PayoutLine.objects.filter(award__application=leaver).exclude(status=PayoutLineStatus.VOID)
    assert not live.exists(), "the withdrawn claim is still on the payout list"
    # Everyone else is on the list, exactly once.
    assert PayoutLine.objects.filter(award__source=source, status=PayoutLineStatus.PENDING).count() == PEOPLE - 1
