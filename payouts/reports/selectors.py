"""Aggregates for the per-programme summary: per batch, and per source × batch × status."""

from collections import defaultdict

from django.db.models import Count, Q, Sum

from applications.models import Application, ApplicationStatus
from payouts.models import Award
from quotas.models import Program, Union

S = ApplicationStatus


def batch_application_counts(*, program: Program, scope: Union) -> dict[int | None, dict[str, int]]:
    rows = (
        Application.objects.in_subtree(scope)
        .filter(program=program)
        .values("batch_id")
        .annotate(
            applications=Count("id", filter=Q(submitted_at__isnull=False)),
            in_review=Count("id", filter=Q(status=S.IN_REVIEW)),
            approved=Count("id", filter=Q(status__in=[S.APPROVED, S.PAID])),
            paid=Count("id", filter=Q(status=S.PAID)),
        )
        .order_by()
    )
    return {row.pop("batch_id"): row for row in rows}


def award_totals(*, program: Program, scope: Union) -> dict[int, dict[int | None, dict[str, tuple[int, int]]]]:
    """{source_id: {batch_id: {award status: (count, yuan)}}}"""
    out: dict = defaultdict(lambda: defaultdict(dict))
    rows = (
        Award.objects.filter(source__program=program, application__union_path__startswith=scope.path)
        .values("source_id", "batch_id", "status")
        .annotate(n=Count("id"), yuan=Sum("amount_yuan"))
        .order_by()
    )
    for row in rows:
        out[row["source_id"]][row["batch_id"]][row["status"]] = (row["n"], row["yuan"] or 0)
    return out
