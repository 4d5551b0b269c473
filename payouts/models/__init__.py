"""Payout models, one module per concern (allocation, publicity, payout lists)."""

from .allocation import AllocationRun, Award, AwardStatus, AwardVia
from .payout import ExportStatus, PayoutLine, PayoutLineStatus, PayoutList, PayoutListStatus  # noqa: F401
from .publicity import Objection, ObjectionStatus, Publicity, PublicityEntry, PublicityStatus  # noqa: F401

__all__ = ["AllocationRun", "Award", "AwardStatus", "AwardVia"]
