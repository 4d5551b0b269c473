"""Celery tasks of the payouts app, one module per concern; imported here so the
worker's autodiscovery (which looks for ``payouts.tasks``) registers them all."""
from . import payout  # noqa: F401
from . import reports  # noqa: F401
from . import schedule  # noqa: F401
from . import allocation  # noqa: F401
