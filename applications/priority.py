"""The four priority groups of Xian'an's seed: "劳模工匠、优秀工会干部、先进工作者、新就业形态职工优先".

Each group is a ``Worker`` flag on the profile and has its proof paper, required when the
programme asks for proofs (``Program.priority_proof_required``). What priority changes is
the seat (``applications/seats.py``); the group list is snapshot on the application at
submission (``Application.priority_groups``).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from quotas.models import DocumentKind, Program


@dataclass(frozen=True)
class PriorityGroup:
    code: str
    field: str  # the Worker flag
    label: str
    proof: str  # the DocumentKind of its proof


PRIORITY_GROUPS = (
    PriorityGroup("model_worker", "is_model_worker", _("劳模工匠"), DocumentKind.MODEL_WORKER_PROOF),
    PriorityGroup("union_cadre", "is_union_cadre", _("优秀工会干部"), DocumentKind.UNION_CADRE_PROOF),
    PriorityGroup("advanced_worker", "is_advanced_worker", _("先进工作者"), DocumentKind.ADVANCED_WORKER_PROOF),
    PriorityGroup("new_form_worker", "is_new_form_worker", _("新就业形态职工"), DocumentKind.NEW_FORM_PROOF),
)
GROUP_LABELS = {g.code: g.label for g in PRIORITY_GROUPS}


def priority_groups_of(worker) -> list[str]:
    """The codes of the groups the worker's profile claims, in the seed's order."""
    return [g.code for g in PRIORITY_GROUPS if getattr(worker, g.field)]


def priority_labels(codes) -> str:
    return "、".join(str(GROUP_LABELS[c]) for c in codes if c in GROUP_LABELS)


def priority_proofs_for(*, program: Program, worker) -> list[str]:
    """The proof papers this worker must upload for this programme."""
    if not program.priority_proof_required:
        return []
    return [g.proof for g in PRIORITY_GROUPS if getattr(worker, g.field)]
