"""The last statement of an at-submission submit: the seat counter and the application row.

Under the counter lock a submit does only this: pick the seat from the locked counts (pure
Python, ``seats._seat_pick``), run one statement that writes the counter and the row, and
commit. Everything that can be is done before the lock is taken:
- the statement is compiled here first, the row's SET list with it (Django's ``save()``
  compiled it under the lock, about 0.3 ms of the 1.9 ms the lock was held in-process);
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
    """The statements of the seat write, compiled before the counter lock is taken: under
    the lock only their values are filled in."""

    pk: int
    statements: list[str]  # one on PostgreSQL; the counter's, then the row's, on SQLite
    params: list  # values of the row's fields, already in the database's form


def _assignments(model, field_names) -> str:
    qn = connection.ops.quote_name
    return ", ".join(f"{qn(model._meta.get_field(f).column)} = %s" for f in field_names)


def _update_sql(model, field_names) -> str:
    qn = connection.ops.quote_name
    # Every name comes from the models, every value is bound.
    return f"UPDATE {qn(model._meta.db_table)} SET {_assignments(model, field_names)} WHERE {qn(model._meta.pk.column)} = %s"  # noqa: S608


def _db_value(instance, field_name: str):
    field = instance._meta.get_field(field_name)
    return field.get_db_prep_save(getattr(instance, field.attname), connection=connection)


def row_write_prepare(*, application: Application, fields: list[str]) -> RowWrite:
    """Compile the counter's UPDATE and the row's UPDATE of ``fields`` (already set on
    ``application``) with the seat fields, which are known only under the lock."""
    row_fields = [f for f in dict.fromkeys(fields) if f not in SEAT_FIELDS]
    counter_sql = _update_sql(SeatCounter, COUNTS)
    row_sql = _update_sql(Application, [*row_fields, *SEAT_FIELDS])
    if connection.vendor == "postgresql":
        statements = [f"WITH counter AS ({counter_sql}) {row_sql}"]
    else:
        statements = [counter_sql, row_sql]
    return RowWrite(
        pk=application.pk,
        statements=statements,
        params=[_db_value(application, f) for f in row_fields],
    )


def seat_and_row_write(*, counter: SeatCounter, application: Application, row: RowWrite) -> None:
    """Write the locked ``counter`` (its counts already bumped) and the application row with
    the seat fields set on ``application``: one statement on PostgreSQL."""
    counter_params = [*(getattr(counter, c) for c in COUNTS), counter.pk]
    row_params = [*row.params, *(_db_value(application, f) for f in SEAT_FIELDS), row.pk]
    with connection.cursor() as cursor:
        if len(row.statements) == 1:
            cursor.execute(row.statements[0], [*counter_params, *row_params])
        else:
            cursor.execute(row.statements[0], counter_params)
            cursor.execute(row.statements[1], row_params)
        if cursor.rowcount != 1:  # the caller holds the row's lock: it cannot have gone
            raise RuntimeError(f"application {row.pk} was not written with its seat")
