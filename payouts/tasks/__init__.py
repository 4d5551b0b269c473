"""Celery tasks of the payouts app, one module per concern; imported here so the
worker's autodiscovery (which looks for ``payouts.tasks``) registers them all."""

from . import (
    allocation,  # noqa: F401
    payout,  # noqa: F401
    reports,  # noqa: F401
    schedule,  # noqa: F401
)
