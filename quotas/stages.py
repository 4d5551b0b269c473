"""Reading a programme's stages (``ProgramStage``); a programme without stages is one step.

Every question the submit, the review and the worker's pages ask about "this stage" is
answered here, so a one-step programme (Jinan, Linyi) takes exactly the paths it took before
stages existed: its papers, its review tiers, its batches' windows, money after approval.
"""

from dataclasses import dataclass
from datetime import datetime

from .models import COFUNDER_TIER, Program, ProgramStage


@dataclass(frozen=True)
class StageRule:
    number: int
    last: int  # the number of the programme's last stage (1 without stages)
    name: str
    documents: list[str]
    tiers: list[str]
    asks_study_facts: bool
    opens: datetime | None  # None: the batches' windows (stage 1, or no stages)
    closes: datetime | None
    stage: ProgramStage | None = None

    @property
    def is_last(self) -> bool:
        return self.number >= self.last

    @property
    def has_cofunder(self) -> bool:
        return COFUNDER_TIER in self.tiers


def program_stages(program: Program) -> list[ProgramStage]:
    """The stages in order; cached on the instance (a page asks several times)."""
    cached = getattr(program, "_stages_cache", None)
    if cached is None:
        cached = list(ProgramStage.objects.filter(program=program).order_by("number"))
        program._stages_cache = cached
    return cached


def program_is_staged(program: Program) -> bool:
    return len(program_stages(program)) > 1


def stage_rule(program: Program, number: int = 1) -> StageRule:
    stages = program_stages(program)
    if not stages:
        return StageRule(
            number=1,
            last=1,
            name="",
            documents=list(program.required_documents or []),
            tiers=list(program.review_tiers or []),
            asks_study_facts=True,
            opens=None,
            closes=None,
        )
    stage = next((s for s in stages if s.number == number), stages[-1])
    return StageRule(
        number=stage.number,
        last=stages[-1].number,
        name=stage.name,
        documents=list(stage.required_documents or []),
        tiers=list(stage.review_tiers or program.review_tiers or []),
        asks_study_facts=stage.asks_study_facts,
        # Stage 1 is the batches' window: its places are given at its submission.
        opens=stage.opens if stage.number > 1 else None,
        closes=stage.closes if stage.number > 1 else None,
        stage=stage,
    )


def documents_up_to(program: Program, number: int) -> list[str]:
    """Every paper of the stages up to ``number``: a later stage keeps the earlier papers."""
    stages = program_stages(program)
    if not stages:
        return list(program.required_documents or [])
    kinds: list[str] = []
    for s in stages:
        if s.number <= number:
            kinds += [k for k in s.required_documents or [] if k not in kinds]
    return kinds
