"""Reads about an application's stage (programmes in stages, ``quotas.stages``): when the
stage it is at is open, when it is due, what the worker sees as steps. No writes here: the
stage's services are in ``stages.py``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from quotas.models import DocumentKind, Program
from quotas.stages import program_is_staged, program_stages, stage_rule

from .models import Application, ApplicationStatus

S = ApplicationStatus
# Waiting for the worker at a later stage: the stage's deadline runs for these.
STAGE_WAITING_STATUSES = (S.STAGE_PASSED, S.RETURNED)


def local_text(at: datetime) -> str:
    """Beijing time, as every page shows it."""
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def stage_asks_study_facts(*, program: Program, number: int) -> bool:
    """Whether the form at this stage shows (and the rules check) the enrolment date and the
    CHSI report: at the stage that asks for them and every later one."""
    return any(stage_rule(program, n).asks_study_facts for n in range(1, number + 1))


def stage_due_of(application: Application) -> datetime | None:
    """The deadline by which this worker must submit the stage the application is at: the
    stage's close, or later for a worker promoted from the waitlist near it. None at stage 1
    (the batches' windows) and in one-step programmes."""
    if application.stage <= 1:
        return None
    closes = stage_rule(application.program, application.stage).closes
    due = application.stage_due_at
    if closes is None or (due is not None and due > closes):
        return due
    return closes


def stage_window_reasons(*, application: Application, now: datetime) -> list[str]:
    """Why the stage the application is at cannot be submitted now (not open yet, past due)."""
    if application.stage <= 1 or not program_is_staged(application.program):
        return []
    rule = stage_rule(application.program, application.stage)
    if rule.opens is not None and now < rule.opens:
        return [
            _("第%(n)s阶段（%(name)s）将于 %(at)s 开始申报，请届时再提交。")
            % {"n": rule.number, "name": rule.name, "at": local_text(rule.opens)}
        ]
    due = stage_due_of(application)
    if due is not None and now > due:
        return [
            _("第%(n)s阶段（%(name)s）已于 %(at)s 截止，不能再提交。")
            % {"n": rule.number, "name": rule.name, "at": local_text(due)}
        ]
    return []


@dataclass(frozen=True)
class StageStep:
    number: int
    name: str
    documents: list[str]
    state: str  # "done", "current", "todo", "ended"
    opens: datetime | None
    due: datetime | None

    @property
    def document_labels(self) -> list[str]:
        labels = dict(DocumentKind.choices)
        return [str(labels.get(k, k)) for k in self.documents]


def stage_steps_of(application: Application) -> list[StageStep]:
    """The stages as steps for the worker's pages (当前阶段, what next and by when)."""
    program = application.program
    if not program_is_staged(program):
        return []
    ended = application.status in (S.WITHDRAWN, S.REJECTED, S.REVOKED, S.LAPSED)
    finished = application.status in (S.APPROVED, S.PAID)
    steps = []
    for stage in program_stages(program):
        if finished or stage.number < application.stage:
            state = "done"
        elif stage.number == application.stage:
            state = "ended" if ended else "current"
        else:
            state = "todo"
        due = stage_due_of(application) if stage.number == application.stage else None
        rule = stage_rule(program, stage.number)
        steps.append(
            StageStep(
                number=stage.number,
                name=stage.name,
                documents=rule.documents,
                state=state,
                opens=rule.opens,
                due=due or rule.closes,
            )
        )
    return steps


def promoted_due(*, application: Application, now: datetime) -> datetime | None:
    """A worker promoted from the waitlist at a later stage gets the same deadline, but never
    less than the stage's ``grace_days`` from now."""
    if application.stage <= 1 or application.status not in STAGE_WAITING_STATUSES:
        return None
    rule = stage_rule(application.program, application.stage)
    if rule.stage is None:
        return None
    floor = now + timedelta(days=rule.stage.grace_days)
    due = stage_due_of(application)
    return floor if due is None or due < floor else None
