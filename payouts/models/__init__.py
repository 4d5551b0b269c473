"""Payout models, one module per concern (allocation, publicity, payout lists)."""

from .allocation import AllocationRun, Award, AwardStatus, AwardVia

__all__ = ["AllocationRun", "Award", "AwardStatus", "AwardVia"]
