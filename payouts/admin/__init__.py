"""Admin of the payouts app, one module per concern, imported here so Django finds them."""

from . import allocation, dashboard, payout, publicity  # noqa: F401
