"""Reads of the publicity stage: the public list, and what still blocks payout."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from qiuxue.masking import mask_name
from quotas.models import Batch, Program

from ..models import Award, AwardStatus, Objection, ObjectionStatus, Publicity, PublicityEntry


@dataclass(frozen=True)
class PublicRow:
    """Only what the public may see: a masked name and the study, never a number."""

    position: int
    token: str
    name: str
    unit: str
    school: str
    major: str
    level: str
    # Every source listed for the person ("市总工会补助500元、兰山街道工会补助300元"): a
    # lower union's top-up is published beside the programme's own money.
    money: str = ""


def publicity_public_rows(*, publicity: Publicity) -> list[PublicRow]:
    entries = (
        PublicityEntry.objects.filter(publicity=publicity)
        .select_related("application__worker")
        .only(
            "position",
            "token",
            "application__school",
            "application__major",
            "application__level",
            "application__worker__name",
            "application__worker__employer",
            "application_id",
        )
        .order_by("position")
    )
    money: dict[int, list[str]] = {}
    awards = (
        Award.objects.filter(application__publicity_entries__publicity=publicity)
        .live()
        .exclude(status=AwardStatus.PROPOSED)
        .order_by("application_id", "source__position", "source_id")
        .values_list("application_id", "source__name", "amount_yuan")
    )
    for app_id, source_name, amount in awards:
        money.setdefault(app_id, []).append(f"{source_name}{amount}元")
    return [
        PublicRow(
            money="、".join(money.get(e.application_id, [])),
            position=e.position,
            token=e.token,
            name=mask_name(e.application.worker.name),
            unit=e.application.worker.employer,
            school=e.application.school,
            major=e.application.major,
            level=e.application.get_level_display(),
        )
        for e in entries
    ]


def payout_blockers(*, program: Program, batch: Batch | None, now: datetime) -> list[str]:
    """Why money of this batch may not go out yet: an unfinished period or an open objection.
    An empty list means payout may proceed."""
    reasons: list[str] = []
    publicities = Publicity.objects.filter(program=program, batch=batch)
    running = publicities.filter(ends_at__gt=now).order_by("-ends_at").first()
    if running is not None:
        reasons.append(
            _("公示期至 %(end)s 结束，结束前不能发放。")
            % {"end": f"{timezone.localtime(running.ends_at):%Y-%m-%d %H:%M}"}
        )
    pending = Objection.objects.filter(publicity__in=publicities, status=ObjectionStatus.PENDING).count()
    if pending:
        reasons.append(_("尚有 %(n)d 条公示异议未处理。") % {"n": pending})
    if not publicities.exists():
        reasons.append(_("该批次尚未公示。"))
    return reasons
