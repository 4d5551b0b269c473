"""Reads of the payout stage: who may see which list, what is eligible, and the
reconciliation of what the banks reported. Who may export or record a list is
``quotas.permissions.may_export_payout_list`` / ``may_record_bank_return``."""

from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from applications.models import WorkerChange, WorkerChangeStatus
from quotas.models import Batch, CoFunder, FundingSource, PayerRule, PaymentChannel, Program, Union
from quotas.selectors import cofunder_staff_of, union_admin_of

from ..models import Award, AwardStatus, PayoutLine, PayoutLineStatus, PayoutList

# ``awards_payable(channel=...)`` default: every channel (the callers that do not split).
ANY_CHANNEL = object()


def payout_lists_visible_to(user: AbstractBaseUser | None) -> QuerySet[PayoutList]:
    """The programme owner's subtree sees its programme's lists; a paying union sees its own;
    a university's staff sees the lists that university pays, and no other."""
    admin = union_admin_of(user)
    if admin is None:
        staff = cofunder_staff_of(user)
        if staff is not None:
            return PayoutList.objects.filter(payer_cofunder_id=staff.cofunder_id)
        return PayoutList.objects.none()
    path = admin.union.path
    return PayoutList.objects.filter(
        Q(program__owner_union__path__startswith=path) | Q(payer_union__path__startswith=path)
    )


def payer_of(
    *, source: FundingSource, payer_union: Union | None, payer_cofunder: CoFunder | None = None
) -> tuple[Union | None, str]:
    """Who pays a list of ``source``: the applicant's county for matching money (passed in),
    the applicant's university for a co-funder's money (passed in), the source's fixed union
    otherwise, or a non-union payer by name."""
    if source.payer_rule == PayerRule.APPLICANT_COFUNDER:
        return None, payer_cofunder.name if payer_cofunder else ""
    if source.payer_rule == PayerRule.APPLICANT_COUNTY:
        return payer_union, payer_union.name if payer_union else ""
    if source.payer_union_id:
        return source.payer_union, source.payer_union.name
    return None, source.payer_name


def awards_payable(
    *,
    program: Program,
    source: FundingSource,
    batch: Batch | None,
    payer_union: Union | None,
    payer_cofunder: CoFunder | None = None,
    channel: "PaymentChannel | object | None" = ANY_CHANNEL,
):
    """Published awards of this source, batch and payer that are on no live payout line;
    with ``channel``, only those paid through it (None: the bank card; see
    ``applications.payment_accounts.payment_account_of``).

    Held: awards of a worker whose change of card, name, employer or union waits for review
    (``applications.changes``) stay off every list until it is confirmed or refused; the
    lines are then built from the ``Worker`` row, which only ever holds confirmed values."""
    live_line = PayoutLine.objects.filter(award=OuterRef("pk")).exclude(
        status__in=[PayoutLineStatus.FAILED, PayoutLineStatus.VOID]
    )
    pending_change = WorkerChange.objects.filter(
        worker=OuterRef("application__worker"), status=WorkerChangeStatus.PENDING
    )
    qs = Award.objects.filter(
        application__program=program, source=source, batch=batch, status=AwardStatus.PUBLISHED
    ).exclude(Exists(live_line) | Exists(pending_change))
    if source.payer_rule == PayerRule.APPLICANT_COUNTY:
        qs = qs.filter(payer_union=payer_union)
    if source.payer_rule == PayerRule.APPLICANT_COFUNDER:
        # The university the application was reviewed by: that of the student's school.
        qs = qs.filter(application__cofunder=payer_cofunder)
    if channel is not ANY_CHANNEL:
        qs = qs.filter(paid_through(channel=channel, program=program))
    return qs


def paid_through(*, channel: PaymentChannel | None, program: Program) -> Q:
    """Awards whose worker's confirmed account for this programme is ``channel``."""
    chosen = Q(application__worker__payment_channel__program=program) & ~Q(
        application__worker__payment_account_encrypted=""
    )
    if channel is None:
        return ~chosen
    return chosen & Q(application__worker__payment_channel=channel)


RECON_KEYS = ("paid", "failed", "pending", "reissued", "void")


@dataclass
class ReconRow:
    source: str
    payer: str
    counts: dict = field(default_factory=lambda: dict.fromkeys(RECON_KEYS, 0))
    sums: dict = field(default_factory=lambda: dict.fromkeys(RECON_KEYS, 0))


def payout_reconciliation(*, lists: QuerySet[PayoutList]) -> list[ReconRow]:
    """Counts and sums per source and payer: paid, failed (waiting for a new card),
    pending (not yet returned by the bank), reissued (a failed line a later list carries) and
    void (the claim ended or its card is being checked after the line was built)."""
    later = PayoutLine.objects.filter(award=OuterRef("award"), pk__gt=OuterRef("pk"))
    grouped = (
        PayoutLine.objects.filter(payout_list__in=lists)
        .annotate(superseded=Exists(later))
        .values(
            "payout_list__source__position",
            "payout_list__source__name",
            "payout_list__payer_name",
            "status",
            "superseded",
        )
        .annotate(n=Count("id"), total=Sum("amount_yuan"))
        .order_by("payout_list__source__position", "payout_list__source__name", "payout_list__payer_name")
    )
    rows: dict[tuple[str, str], ReconRow] = {}
    for g in grouped:
        key = (g["payout_list__source__name"], g["payout_list__payer_name"])
        row = rows.setdefault(key, ReconRow(source=key[0], payer=key[1]))
        bucket = "reissued" if g["status"] == PayoutLineStatus.FAILED and g["superseded"] else g["status"]
        row.counts[bucket] += g["n"]
        row.sums[bucket] += g["total"] or 0
    return list(rows.values())
