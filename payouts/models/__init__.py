"""Payout models, one module per concern (allocation, publicity, payout lists)."""

from .allocation import AWARD_ENDED_SQL, AWARD_ENDED_STATUSES, AllocationRun, Award, AwardStatus, AwardVia
from .followup import FollowUpSource, StudyFollowUp, StudyStatus  # noqa: F401
from .notify import DigestSent, SchedulerMark  # noqa: F401
from .payout import ExportStatus, PayoutExport, PayoutLine, PayoutLineStatus, PayoutList, PayoutListStatus  # noqa: F401
from .publicity import Objection, ObjectionStatus, Publicity, PublicityEntry, PublicityStatus  # noqa: F401
from .reports import ReportExport, ReportKind  # noqa: F401

__all__ = ["AWARD_ENDED_SQL", "AWARD_ENDED_STATUSES", "AllocationRun", "Award", "AwardStatus", "AwardVia"]
