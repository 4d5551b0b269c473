"""Reads for the worker's pages. Every query here is scoped to the signed-in worker."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.db.models import Count, Min, Q
from django.http import Http404
from django.utils import timezone

from quotas.models import AllocationMode, Batch, CatalogueEntry, DocumentKind, Program, Union, UnionLevel

from .eligibility import level_group, required_documents_for
from .models import Application, ApplicationStatus, Attachment, SeatStatus, Worker, WorkerChange, WorkerChangeStatus

S = ApplicationStatus
# Submitted and not out of the race: these hold a place in the first-come-first-served order.
QUEUED_STATUSES = (S.IN_REVIEW, S.RETURNED, S.STAGE_PASSED, S.APPROVED, S.PAID)
# "Once per person per level" counts claims that are in flight or were granted.
CLAIM_STATUSES = (S.IN_REVIEW, S.RETURNED, S.STAGE_PASSED, S.APPROVED, S.PAID)


def worker_of(user: AbstractBaseUser) -> Worker | None:
    if not user.is_authenticated:
        return None
    return Worker.objects.select_related("union").filter(user=user).first()


def worker_money_is_held(*, worker: Worker) -> bool:
    """Approved and not yet fully paid: from now on a change of the fields the money
    follows (``HELD_FIELDS``) waits for review instead of going to the row."""
    return worker.applications.filter(status=S.APPROVED).exists()


def worker_change_pending_of(*, worker: Worker | None) -> WorkerChange | None:
    if worker is None:
        return None
    return WorkerChange.objects.select_related("union").filter(worker=worker, status=WorkerChangeStatus.PENDING).first()


def programs_for_worker(*, worker: Worker) -> list[Program]:
    """Open programmes run by a union above (or at) the worker's union."""
    owners = worker.union.ancestor_paths()
    return list(
        Program.objects.filter(is_open=True, owner_union__path__in=owners)
        .select_related("owner_union")
        .prefetch_related("batches")
    )


def open_batch_of(*, program: Program, now: datetime | None = None) -> Batch | None:
    """The batch taking applications now (a batch closed because the places ran out never is)."""
    now = now or timezone.now()
    return (
        program.batches.filter(apply_opens__lte=now, apply_closes__gt=now, closed_as_filled_at__isnull=True)
        .order_by("number")
        .first()
    )


@dataclass(frozen=True)
class BatchState:
    open: Batch | None  # taking applications now
    next: Batch | None  # the next one to open
    filled: Batch | None  # closed because the earlier batches used every place


def batch_state_of(*, program: Program, now: datetime | None = None) -> BatchState:
    """Which batch is open, which opens next and which will not open for lack of places,
    from ``program.batches.all()``: no query when the batches are prefetched (the home page
    lists every programme; it cost three queries each before). ``open_batch_of`` and
    ``filled_batch_of`` are the one-question versions; the tests hold them together."""
    now = now or timezone.now()
    batches = sorted(program.batches.all(), key=lambda b: b.number)
    accepting = [b for b in batches if b.closed_as_filled_at is None]
    return BatchState(
        open=next((b for b in accepting if b.apply_opens <= now < b.apply_closes), None),
        next=min((b for b in accepting if b.apply_opens > now), key=lambda b: b.apply_opens, default=None),
        filled=next((b for b in batches if b.closed_as_filled_at is not None and b.apply_closes > now), None),
    )


def filled_batch_of(*, program: Program, now: datetime | None = None) -> Batch | None:
    """A batch whose window is now or still to come but that will not open: the earlier
    batches used every place (Jinan batch 3). The worker is told so instead of a date."""
    now = now or timezone.now()
    return program.batches.filter(apply_closes__gt=now, closed_as_filled_at__isnull=False).order_by("number").first()


def prior_level_groups_of(*, id_number_hmac: str, exclude_application_id: int | None = None) -> set[str]:
    qs = Application.objects.filter(worker__id_number_hmac=id_number_hmac, status__in=CLAIM_STATUSES)
    if exclude_application_id is not None:
        qs = qs.exclude(pk=exclude_application_id)
    return {level_group(level) for level in qs.values_list("level", flat=True)}


def current_attachments(*, application: Application) -> list[Attachment]:
    return list(application.attachments.filter(is_current=True).order_by("kind"))


def applications_of_worker(*, worker: Worker) -> list[Application]:
    return list(worker.applications.select_related("program", "batch").order_by("-created_at"))


def application_get_for_user(*, user: AbstractBaseUser, pk: int) -> Application:
    """The worker's own application, or 404: another worker's id looks like no id at all.

    Joins only what every page and the services need. Adding ``batch`` and
    ``current_tier`` made it a 7-table join whose *planning* alone took PostgreSQL ~3 ms,
    on every page and every submission; the detail page reads those two by primary key.
    """
    try:
        return Application.objects.select_related("worker__union", "program__owner_union").get(
            pk=pk, worker__user_id=user.pk
        )
    except Application.DoesNotExist:
        raise Http404 from None


def attachment_get_for_user(*, user: AbstractBaseUser, pk: int) -> Attachment:
    att = Attachment.objects.select_related("application").filter(pk=pk, application__worker__user_id=user.pk).first()
    if att is None:
        raise Http404
    return att


def catalogue_of(*, program: Program) -> list[CatalogueEntry]:
    return list(program.catalogue.all())


def catalogue_lists(*, program: Program, school: str, level: str, major: str) -> bool | None:
    """None when the programme has no catalogue (any school goes), else whether it lists
    this school, level and major. One query on the unique index, whatever the list's size."""
    # Plain SQL (PostgreSQL and SQLite alike): it runs in every submission at window open,
    # and composing the two EXISTS through the ORM costs ~2 ms of CPU against ~0.15 ms.
    meta = CatalogueEntry._meta
    table, column = connection.ops.quote_name(meta.db_table), meta.get_field("program").column
    where = f"FROM {table} WHERE {column} = %s"  # names from the model; every value is bound
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS(SELECT 1 {where}), EXISTS(SELECT 1 {where} AND school = %s AND level = %s AND major = %s)",
            [program.pk, program.pk, school.strip(), level, major.strip()],
        )
        has_any, listed = cursor.fetchone()
    return bool(listed) if has_any else None


def seat_capacity_of(*, program: Program) -> int | None:
    """Places in an at-submission programme: the slots of its own (non-matching) money."""
    result = program.sources.filter(matching_of__isnull=True, total_slots__isnull=False, scope_union=None).aggregate(
        slots=Min("total_slots")
    )
    return result["slots"]


@dataclass(frozen=True)
class QueuePosition:
    mode: str
    position: int | None = None  # batch: place among submitted applications
    total: int | None = None
    seat_status: str = ""
    seat_rank: int | None = None
    capacity: int | None = None
    remaining: int | None = None  # at_submission: places still free


def application_queue_position(*, application: Application) -> QueuePosition | None:
    if application.submitted_at is None or application.status not in QUEUED_STATUSES:
        return None
    program = application.program
    if program.allocation_mode == AllocationMode.AT_SUBMISSION:
        capacity = seat_capacity_of(program=program) or 0
        placed = Application.objects.filter(program=program, seat_status=SeatStatus.PLACED).count()
        return QueuePosition(
            mode=program.allocation_mode,
            seat_status=application.seat_status,
            seat_rank=application.seat_rank,
            capacity=capacity,
            remaining=max(capacity - placed, 0),
        )
    before = Q(submitted_at__lt=application.submitted_at) | Q(
        submitted_at=application.submitted_at, pk__lt=application.pk
    )
    counts = Application.objects.filter(program=program, status__in=QUEUED_STATUSES).aggregate(
        ahead=Count("pk", filter=before), total=Count("pk")
    )
    return QueuePosition(mode=program.allocation_mode, position=counts["ahead"] + 1, total=counts["total"])


def unions_for_picker():
    """Unions a worker can belong to: grassroots and township (street) unions."""
    return Union.objects.filter(level__in=(UnionLevel.GRASSROOTS, UnionLevel.TOWNSHIP)).select_related("parent")


def union_search(*, query: str, limit: int = 20) -> list[dict]:
    query = (query or "").strip()[:40]
    if not query:
        return []
    rows = unions_for_picker().filter(name__icontains=query).order_by("name")[:limit]
    return [{"id": u.pk, "name": u.name, "parent": u.parent.name if u.parent_id else ""} for u in rows]


# What a reviewer may send back for correction: application fields, and documents as
# "doc:<kind>". One table for both sides: reviews offers and stores these keys, the
# worker's pages name them and mark the documents to upload again.
RETURN_DOC_PREFIX = "doc:"
RETURNABLE_FIELDS: dict[str, str] = {
    "school": "院校",
    "major": "专业",
    "level": "学历层次",
    "enrolled_on": "入学日期",
    "chsi_code": "学信网报告验证码",
    "chsi_expires_on": "学信网报告有效期",
    "employer": "工作单位",
    "position": "岗位",
    "bank_card": "银行卡信息",
    **{f"{RETURN_DOC_PREFIX}{kind.value}": str(kind.label) for kind in DocumentKind},
}


def returnable_fields_for(*, application: Application) -> dict[str, str]:
    """What a reviewer may send back on this application: the fields, and only the papers
    its programme asks of this worker (the same list as the worker's upload page), in the
    order of ``RETURNABLE_FIELDS``."""
    kinds = required_documents_for(program=application.program, worker=application.worker, stage=application.stage)
    papers = {f"{RETURN_DOC_PREFIX}{k}" for k in kinds}
    return {
        key: label for key, label in RETURNABLE_FIELDS.items() if not key.startswith(RETURN_DOC_PREFIX) or key in papers
    }


def returned_document_kinds(*, fields: list[str]) -> set[str]:
    """The document kinds among returned fields (also a bare kind, as older rows hold)."""
    kinds = set(DocumentKind.values)
    return {f.removeprefix(RETURN_DOC_PREFIX) for f in fields or []} & kinds


def return_field_labels(*, fields: list[str]) -> list[str]:
    """Names a reviewer sent back (form fields or document kinds), in words the worker knows."""
    labels = dict(DocumentKind.choices)
    for f in Application._meta.get_fields():
        if hasattr(f, "verbose_name") and f.name not in labels:
            labels[f.name] = f.verbose_name
    for f in Worker._meta.get_fields():
        if hasattr(f, "verbose_name") and f.name not in labels:
            labels[f.name] = f.verbose_name
    for key, label in RETURNABLE_FIELDS.items():  # "doc:<kind>", and fields with no model label
        labels.setdefault(key, label)
    return [str(labels.get(name, name)) for name in fields or []]
