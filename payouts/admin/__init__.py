"""Admin of the payouts app, one module per concern, imported here so Django finds them."""

from . import (  # noqa: F401
    dashboard,
    payout,
    publicity,
)
from . import allocation  # noqa: F401
