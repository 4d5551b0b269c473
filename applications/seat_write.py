"""The last statement of an at-submission submit: the seat counter and the application row.

Under the counter lock a submit does only this: pick the seat from the locked counts (pure
Python, ``seats._seat_pick``), run one statement that writes the counter and the row, and
commit. Everything that can be is done before the lock is taken:
- the row's SET list is compiled here first (Django's ``save()`` compiled it under the lock,
  about 0.3 ms of the 1.9 ms the lock was held in-process);
- the counter's UPDATE and the row's UPDATE are one statement on PostgreSQL (a data-modifying
  ``WITH``), so the lock waits for one round trip, not two, before the commit.
SQLite (the demo) has no data-modifying ``WITH``: there the two run one after the other.
"""

from dataclasses import dataclass

from django.db import connection

from .models import Application, SeatCounter

# Written from the seat picked under the lock; every other changed field is compiled before.
SEAT_FIELDS = ("seat_status", "seat_rank", "submitted_at", "last_submitted_at")
COUNTS = ("placed", "waiting", "priority_placed", "priority_waiting")


@dataclass(frozen=True)
class RowWrite:
    """The application row's UPDATE, compiled before the counter lock is taken."""

    pk: int
    assignments: list[str]  # '"status" = %s', ...: the row's fields, then the seat's
    params: list  # values of the row's fields, already in the database's form


def _assignment(field_name: str) -> str:
    column = Application._meta.get_field(field_name).column
    return f"{connection.ops.quote_name(column)} = %s"


def _db_value(instance, field_name: str):
    field = instance._meta.get_field(field_name)
    return field.get_db_prep_save(getattr(instance, field.attname), connection=connection)


def row_write_prepare(*, application: Application, fields: list[str]) -> RowWrite:
    """Compile the UPDATE of ``fields`` (already set on ``application``); the seat fields are
    left out, they are known only under the lock."""
    row_fields = [f for f in dict.fromkeys(fields) if f not in SEAT_FIELDS]
    return RowWrite(
        pk=application.pk,
        assignments=[_assignment(f) for f in row_fields] + [_assignment(f) for f in SEAT_FIELDS],
        params=[_db_value(application, f) for f in row_fields],
    )


def seat_and_row_write(*, counter: SeatCounter, application: Application, row: RowWrite) -> None:
    """Write the locked ``counter`` (its counts already bumped) and the application row with
    the seat fields set on ``application``: one statement on PostgreSQL."""
    qn = connection.ops.quote_name
    # Every name below comes from the models, every value is bound.
    counts = ", ".join(f"{qn(c)} = %s" for c in COUNTS)
    counter_sql = f"UPDATE {qn(SeatCounter._meta.db_table)} SET {counts} WHERE {qn('program_id')} = %s"  # noqa: S608
    counter_params = [*(getattr(counter, c) for c in COUNTS), counter.pk]
    assignments = ", ".join(row.assignments)
    row_sql = f"UPDATE {qn(Application._meta.db_table)} SET {assignments} WHERE {qn(Application._meta.pk.column)} = %s"  # noqa: S608
    row_params = [*row.params, *(_db_value(application, f) for f in SEAT_FIELDS), row.pk]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH counter AS ({counter_sql}) {row_sql}", [*counter_params, *row_params])
        else:
            cursor.execute(counter_sql, counter_params)
            cursor.execute(row_sql, row_params)
        if cursor.rowcount != 1:  # the caller holds the row's lock: it cannot have gone
            raise RuntimeError(f"application {row.pk} was not written with its seat")
