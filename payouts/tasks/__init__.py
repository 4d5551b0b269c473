"""Celery tasks of the payouts app, one module per concern; imported here so the
worker's autodiscovery (which looks for ``payouts.tasks``) registers them all."""
