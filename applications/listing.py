"""The public list of programmes (home page without login, help page): reads only what a
programme's notice makes public — money per person, levels, places, windows, papers and the
contact. No worker data. Three queries whatever the number of programmes (programmes with
owner, their batches and sources prefetched, one grouped count of placed seats)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count
from django.utils import timezone

from quotas.models import AllocationMode, Batch, DocumentKind, EducationLevel, FundingSource, Program, SourceApproval

from .models import Application, SeatStatus
from .selectors import batch_state_of


@dataclass
class PublicProgram:
    program: Program
    open: Batch | None
    next: Batch | None
    batches: list[Batch]
    sources: list[FundingSource]
    total_yuan: int
    levels: list[str]
    papers: list[str]
    public_sector_papers: list[str]
    capacity: int | None = None  # at-submission: places in all
    places_left: int | None = None  # at-submission: places still free now
    contact_lines: list[str] = field(default_factory=list)
    # A programme in stages (Xian'an): each stage's name, papers and window, in order.
    stages: list[dict] = field(default_factory=list)

    @property
    def is_at_submission(self) -> bool:
        return self.program.allocation_mode == AllocationMode.AT_SUBMISSION


def _labels(values, choices) -> list[str]:
    names = dict(choices)
    return [str(names.get(v, v)) for v in values]


def program_contact_lines(*, program: Program) -> list[str]:
    return [line.strip() for line in (program.contact or "").splitlines() if line.strip()]


def public_programs(*, now: datetime | None = None) -> list[PublicProgram]:
    """Programmes open to workers with a window now or still to come, every owner; open
    ones first, then by the next window's opening."""
    now = now or timezone.now()
    programs = (
        Program.objects.filter(is_open=True)
        .select_related("owner_union")
        .prefetch_related("batches", "sources__scope_union", "stages")
        .order_by("-year", "name")
    )
    rows = []
    for p in programs:
        state = batch_state_of(program=p, now=now)
        if state.open is None and state.next is None:
            continue
        # The programme's own money; a lower union's top-up (多重补助) only for its members,
        # and only once the owner has approved it.
        sources = sorted(
            (s for s in p.sources.all() if s.approval == SourceApproval.APPROVED),
            key=lambda s: (s.scope_union_id is not None, s.position, s.pk),
        )
        row = PublicProgram(
            program=p,
            open=state.open,
            next=state.next,
            batches=[b for b in sorted(p.batches.all(), key=lambda b: b.number) if b.apply_closes > now],
            sources=sources,
            total_yuan=sum(s.amount_yuan for s in sources if s.scope_union_id is None),
            levels=_labels(p.eligible_levels, EducationLevel.choices),
            papers=_labels(p.required_documents, DocumentKind.choices),
            public_sector_papers=_labels(p.public_sector_documents, DocumentKind.choices),
            contact_lines=program_contact_lines(program=p),
            stages=[
                {
                    "number": st.number,
                    "name": st.name,
                    "papers": _labels(st.required_documents, DocumentKind.choices),
                    "opens": st.opens if st.number > 1 else None,
                    "closes": st.closes if st.number > 1 else None,
                }
                for st in sorted(p.stages.all(), key=lambda st: st.number)
            ]
            if len(p.stages.all()) > 1
            else [],
        )
        if row.is_at_submission:
            own = [
                s.total_slots
                for s in sources
                if s.matching_of_id is None and s.total_slots is not None and s.scope_union_id is None
            ]
            row.capacity = min(own) if own else None
        rows.append(row)
    at_submission = [r.program.pk for r in rows if r.capacity is not None]
    if at_submission:
        placed = dict(
            Application.objects.filter(program_id__in=at_submission, seat_status=SeatStatus.PLACED)
            .values_list("program_id")
            .annotate(n=Count("pk"))
            .values_list("program_id", "n")
        )
        for r in rows:
            if r.capacity is not None:
                r.places_left = max(r.capacity - placed.get(r.program.pk, 0), 0)
    rows.sort(key=lambda r: (r.open is None, (r.open or r.next).apply_opens if r.open is None else r.open.apply_closes))
    return rows


def programs_for_help() -> list[Program]:
    """Every programme open to workers, for the help page's 咨询电话 (closed windows too: a
    worker who applied last round still calls)."""
    return list(Program.objects.filter(is_open=True).select_related("owner_union").order_by("-year", "name"))
