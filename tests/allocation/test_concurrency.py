"""Two runs started at once produce one result: the programme row lock serialises them.

To make the race certain rather than likely, the test holds an EXCLUSIVE lock on the
awards table from a third connection: reads still pass, so both runs compute their
result and then wait at their first write. With the programme lock the second run is
instead waiting for the first to commit, and then finds nothing to change; without it,
both computed the same awards from the same empty table and the second insert breaks
the one-live-award-per-source constraint.
"""

import threading
import time

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from payouts.allocation.services import allocation_run
from payouts.models import Award

from .test_scenarios import Jinan

AWARDS = Award._meta.db_table


def _side_connection():
    db = settings.DATABASES["default"]
    return psycopg2.connect(
        dbname=db["NAME"], user=db["USER"] or "postgres", host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )


def _waiting_on_locks(cur) -> int:
    cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
    return cur.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_produce_one_result():
    j = Jinan()
    j.apply(j.lixia_firm, list(range(6)), j.b1)
    j.apply(j.shizhong, list(range(3)), j.b1)
    j.apply(j.bus, list(range(3)), j.b2, day=18, month=6)

    blocker = _side_connection()
    watch = _side_connection()
    watch.autocommit = True
    results, errors = [], []

    def run():
        try:
            results.append(allocation_run(program=j.prog, actor=j.staff))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    with blocker.cursor() as cur:
        cur.execute(f"LOCK TABLE {AWARDS} IN EXCLUSIVE MODE")
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        with watch.cursor() as wcur:
            while _waiting_on_locks(wcur) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _waiting_on_locks(wcur) == 2, "both runs should be waiting"
    blocker.commit()
    for t in threads:
        t.join(60)
    blocker.close()
    watch.close()

    assert errors == []
    created = sorted(sum(o.created for o in r.sources) for r in results)
    assert created[0] == 0 and created[1] > 0  # the second run found the first's result
    rows = list(Award.objects.values_list("application_id", "source_id"))
    assert len(rows) == len(set(rows)) == created[1]
    # The same as one run from scratch.
    before = sorted(Award.objects.values_list("application_id", "source_id", "via", "rank"))
    Award.objects.all().delete()
    allocation_run(program=j.prog, actor=j.staff)
    assert sorted(Award.objects.values_list("application_id", "source_id", "via", "rank")) == before
