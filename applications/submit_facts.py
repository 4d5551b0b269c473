"""Everything the submit rule reads besides the locked application row, in one round trip.

At window open a submission's cost is mostly Django building queries, not PostgreSQL
running them: six small ORM reads (open batch, current papers, the person's other claims,
the catalogue, the union's ancestors, the places of an at-submission programme) cost
several times the one statement below. So they are one ``UNION ALL`` of tagged rows, plain
SQL that PostgreSQL and SQLite both run, with table names from the models and every value
bound. ``tests/applications/test_submit_facts.py`` holds it to the ORM reads it replaces.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import connection

from quotas.models import Batch, CatalogueEntry, FundingSource, Union

from .eligibility import level_group
from .models import Application, Attachment, Worker
from .selectors import CLAIM_STATUSES


class UnionRow(NamedTuple):
    """An ancestor of the worker's union, as much as the review chain needs."""

    id: int
    level: str
    depth: int


@dataclass
class SubmitFacts:
    batch_id: int | None = None  # the batch open now, if any
    batch_number: int | None = None
    present_documents: set[str] = field(default_factory=set)
    prior_level_groups: set[str] = field(default_factory=set)  # the person's other live claims
    catalogue_listed: bool | None = None  # None: the programme has no catalogue
    ancestors: list[UnionRow] = field(default_factory=list)  # the worker's union and above
    seat_capacity: int | None = None  # places of an at-submission programme (its own money)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _marks(values) -> str:
    return ", ".join(["%s"] * len(values))


def submit_facts_of(*, application: Application, now: datetime) -> SubmitFacts:
    """The facts for ``application`` (with its worker, union and programme loaded) at ``now``."""
    worker, program = application.worker, application.program
    at = connection.ops.adapt_datetimefield_value(now)
    paths = worker.union.ancestor_paths()
    # Only table names (from the models) and placeholders are formatted in; values are bound.
    catalogue = f"SELECT 1 FROM {_table(CatalogueEntry)} WHERE program_id = %s"  # noqa: S608
    sql = f"""
        SELECT 'batch', id, number, NULL FROM (
            SELECT id, number FROM {_table(Batch)}
            WHERE program_id = %s AND apply_opens <= %s AND apply_closes > %s AND closed_as_filled_at IS NULL
            ORDER BY number LIMIT 1
        ) open_batch
        UNION ALL
        SELECT 'document', NULL, NULL, kind FROM {_table(Attachment)}
        WHERE application_id = %s AND is_current
        UNION ALL
        SELECT 'claim', NULL, NULL, a.level
        FROM {_table(Application)} a JOIN {_table(Worker)} w ON w.id = a.worker_id
        WHERE w.id_number_hmac = %s AND a.status IN ({_marks(CLAIM_STATUSES)}) AND a.id <> %s
        UNION ALL
        SELECT 'catalogue',
            CASE WHEN EXISTS({catalogue}) THEN 1 ELSE 0 END,
            CASE WHEN EXISTS({catalogue} AND school = %s AND level = %s AND major = %s) THEN 1 ELSE 0 END,
            NULL
        UNION ALL
        SELECT 'union', id, depth, level FROM {_table(Union)} WHERE path IN ({_marks(paths)})
        UNION ALL
        SELECT 'seats', MIN(total_slots), NULL, NULL FROM {_table(FundingSource)}
        WHERE program_id = %s AND matching_of_id IS NULL AND total_slots IS NOT NULL AND scope_union_id IS NULL
    """  # noqa: S608
    params = [
        *(program.pk, at, at),
        application.pk,
        *(worker.id_number_hmac, *CLAIM_STATUSES, application.pk),
        *(program.pk, program.pk, application.school.strip(), application.level, application.major.strip()),
        *paths,
        program.pk,
    ]
    facts = SubmitFacts()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for tag, a, b, text in cursor.fetchall():
            if tag == "batch":
                facts.batch_id, facts.batch_number = a, b
            elif tag == "document":
                facts.present_documents.add(text)
            elif tag == "claim":
                facts.prior_level_groups.add(level_group(text))
            elif tag == "catalogue":
                facts.catalogue_listed = bool(b) if a else None
            elif tag == "union":
                facts.ancestors.append(UnionRow(id=a, level=text, depth=b))
            else:
                facts.seat_capacity = a
    return facts
