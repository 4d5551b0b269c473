"""Who may do what: one function per staff step, each taking the user and the programme
(or the payout list, objection or funding source it is about).

Authority comes from the programme, never from a union's level: whoever owns a programme
runs its whole year (Jinan's and Linyi's city federations, Xian'an's and Conghua's
district federations alike). The rule, in one place:

- managers of the programme's owner union, or of a union above it, set up the programme,
  move quota, run the allocation, publish the 公示, decide objections and override a
  closed review window;
- for money (payout lists: build, export with full numbers, bank return, reissue) their
  finance staff may act as well, and a paying union's own manager or finance acts on the
  lists it pays (``PayoutList.payer_union``: a county's matching money), not on others';
- a co-funder (a university, ``CoFunder``) is no union and sits nowhere in the tree: its
  own manager or finance builds, exports and records the lists it pays
  (``PayoutList.payer_cofunder``: its own students' university money), not another's;
  the owner side sees and may act on all of them;
- the audit log is for the managers and finance of a union that runs (or is above) a
  programme; the dashboard for every staff account inside or above the programme.

Each function answers with a ``Permit``: ``allowed`` and, when refused, the Chinese
sentence the page shows. Pages use it to offer only what the user may do; services call
``.require()`` as well (a page can be bypassed), which raises ``PermissionDenied(reason)``.
This module is the lowest app's, so every app may use it; it only reads.
"""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import AdminRole, CoFunder, FundingSource, Program, Union, UnionAdmin
from .selectors import cofunder_staff_of, union_admin_of

MANAGERS = (AdminRole.MANAGER,)
MONEY_ROLES = (AdminRole.MANAGER, AdminRole.FINANCE)


@dataclass(frozen=True)
class Permit:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    def require(self) -> None:
        """Raise ``PermissionDenied`` with the reason when refused (for services)."""
        if not self.allowed:
            raise PermissionDenied(self.reason)


ALLOWED = Permit(True)


def _roles_label(roles: tuple[str, ...]) -> str:
    return _("管理员或财务") if AdminRole.FINANCE in roles else _("管理员")


def _at_or_above(admin: UnionAdmin | None, union: Union | None, roles: tuple[str, ...]) -> bool:
    return admin is not None and union is not None and admin.role in roles and union.path.startswith(admin.union.path)


def _owner_side(*, user: AbstractBaseUser | None, program: Program, roles: tuple[str, ...], act: str) -> Permit:
    """Allowed for ``roles`` of the programme's owner union or of a union above it."""
    if _at_or_above(union_admin_of(user), program.owner_union, roles):
        return ALLOWED
    return Permit(
        False,
        _("只有本方案主办工会（%(owner)s）及上级工会的%(roles)s可以%(act)s。")
        % {"owner": program.owner_union.name, "roles": _roles_label(roles), "act": act},
    )


def _runs_or_roots(union: Union) -> bool:
    """The union is the root of its tree (a deployment's top), or runs or is above a programme."""
    return union.parent_id is None or Program.objects.filter(owner_union__path__startswith=union.path).exists()


# --- programme set-up and quota ------------------------------------------------------------


def may_set_up_program(*, user: AbstractBaseUser | None, program: Program | None = None) -> Permit:
    """Write a programme's set-up (the programme, batches, sources, quota table, catalogue).

    Without a programme (the add page): a manager whose union has no union above it (the
    root of a deployment's tree) or who already runs, or is above, a programme — a new
    programme is set up from above or by a federation that already runs its own.
    """
    if program is not None:
        return _owner_side(user=user, program=program, roles=MANAGERS, act=_("修改实施方案设置"))
    admin = union_admin_of(user)
    if admin is not None and admin.role in MANAGERS and _runs_or_roots(admin.union):
        return ALLOWED
    return Permit(False, _("新的实施方案由上级工会的管理员或已主办实施方案的工会管理员建立。"))


def may_move_quota(*, user: AbstractBaseUser | None, source: FundingSource) -> Permit:
    """Move places between the rows of a source's quota table (调剂), edit a row's slots."""
    return _owner_side(user=user, program=source.program, roles=MANAGERS, act=_("调剂名额"))


def may_propose_topup(*, user: AbstractBaseUser | None, program: Program, union: Union) -> Permit:
    """A union below the programme's owner adds its own money for its own subtree (多重补助):
    its own manager proposes; the owner's manager approves (``may_decide_topup``)."""
    admin = union_admin_of(user)
    owner = program.owner_union
    if not (union.path.startswith(owner.path) and union.pk != owner.pk):
        return Permit(False, _("只有%(owner)s下级的工会可以申报本单位补助。") % {"owner": owner.name})
    if admin is None or admin.role not in MANAGERS or admin.union_id != union.pk:
        return Permit(False, _("只有%(union)s的管理员可以申报本单位补助。") % {"union": union.name})
    return ALLOWED


def may_decide_topup(*, user: AbstractBaseUser | None, source: FundingSource) -> Permit:
    """Approve or reject a lower union's top-up: the owner's managers (or above)."""
    return _owner_side(user=user, program=source.program, roles=MANAGERS, act=_("批准下级工会补助"))


# --- allocation, publicity, objections ------------------------------------------------------


def may_run_allocation(*, user: AbstractBaseUser | None, program: Program) -> Permit:
    return _owner_side(user=user, program=program, roles=MANAGERS, act=_("运行分配"))


def may_open_publicity(*, user: AbstractBaseUser | None, program: Program) -> Permit:
    """Publishing the 公示 turns proposed money into published money: managers and finance."""
    return _owner_side(user=user, program=program, roles=MONEY_ROLES, act=_("发布公示"))


def may_decide_objection(*, user: AbstractBaseUser | None, objection) -> Permit:
    """Uphold or dismiss an objection to the 公示 (``objection.publicity.program``)."""
    return _owner_side(user=user, program=objection.publicity.program, roles=MANAGERS, act=_("处理公示异议"))


def may_override_review_window(*, user: AbstractBaseUser | None, program: Program) -> Permit:
    """Decide a review after its window closed, with a reason."""
    return _owner_side(user=user, program=program, roles=MANAGERS, act=_("在审核期外办理"))


# --- payout lists ----------------------------------------------------------------------------


def _cofunder_money(user: AbstractBaseUser | None, program_id: int, cofunder_id: int | None = None) -> bool:
    """The user is a manager or finance of a co-funder of this programme (of that one, when
    ``cofunder_id`` is given)."""
    staff = cofunder_staff_of(user)
    return (
        staff is not None
        and staff.role in MONEY_ROLES
        and staff.cofunder.program_id == program_id
        and (cofunder_id is None or staff.cofunder_id == cofunder_id)
    )


def may_build_payout_lists(
    *,
    user: AbstractBaseUser | None,
    program: Program,
    payer_union: Union | None = None,
    payer_cofunder: CoFunder | None = None,
) -> Permit:
    """Build payout lists of a programme; with ``payer_union``, the lists that union pays
    (its own manager or finance may build those); with ``payer_cofunder``, the lists that
    university pays (its own manager or finance). Without either, a co-funder's manager or
    finance may use the page: it builds their own lists only."""
    admin = union_admin_of(user)
    if _at_or_above(admin, program.owner_union, MONEY_ROLES):
        return ALLOWED
    if payer_union is not None and admin is not None and admin.role in MONEY_ROLES and admin.union_id == payer_union.pk:
        return ALLOWED
    if payer_union is None and _cofunder_money(user, program.pk, payer_cofunder.pk if payer_cofunder else None):
        return ALLOWED
    if (
        payer_union is None
        and payer_cofunder is None
        and admin is not None
        and admin.role in MONEY_ROLES
        and program.sources.filter(scope_union_id=admin.union_id, payer_union_id=admin.union_id).exists()
    ):
        return ALLOWED  # a top-up's own union: the page builds its own lists only
    if payer_cofunder is not None:
        return Permit(
            False,
            _(
                "只有本方案主办工会（%(owner)s）及上级工会的管理员或财务，或%(payer)s的管理员或财务，可以生成%(payer)s的发放名单。"
            )
            % {"owner": program.owner_union.name, "payer": payer_cofunder.name},
        )
    return _owner_side(user=user, program=program, roles=MONEY_ROLES, act=_("生成发放名单"))


def _payout_list_side(*, user: AbstractBaseUser | None, payout_list, act: str) -> Permit:
    admin = union_admin_of(user)
    if _at_or_above(admin, payout_list.program.owner_union, MONEY_ROLES):
        return ALLOWED
    if (
        admin is not None
        and admin.role in MONEY_ROLES
        and payout_list.payer_union_id is not None
        and admin.union_id == payout_list.payer_union_id
    ):
        return ALLOWED
    if payout_list.payer_cofunder_id is not None and _cofunder_money(
        user, payout_list.program_id, payout_list.payer_cofunder_id
    ):
        return ALLOWED
    return Permit(
        False,
        _(
            "只有本方案主办工会（%(owner)s）及上级工会的管理员或财务，或本名单发放单位（%(payer)s）的管理员或财务，可以%(act)s。"
        )
        % {"owner": payout_list.program.owner_union.name, "payer": payout_list.payer_name, "act": act},
    )


def may_export_payout_list(*, user: AbstractBaseUser | None, payout_list) -> Permit:
    """Export (and download) the list with full ID and card numbers."""
    return _payout_list_side(user=user, payout_list=payout_list, act=_("导出含完整证件号的发放名单"))


def may_record_bank_return(*, user: AbstractBaseUser | None, payout_list) -> Permit:
    """Import the bank's return of a list (it matches full numbers: same people as export)."""
    return _payout_list_side(user=user, payout_list=payout_list, act=_("导入银行回盘"))


def may_reissue_payout_list(*, user: AbstractBaseUser | None, payout_list) -> Permit:
    """Build the reissue list of a list's failed lines."""
    return _payout_list_side(user=user, payout_list=payout_list, act=_("生成补发名单"))


# --- oversight -------------------------------------------------------------------------------


def may_import_roster(*, user: AbstractBaseUser | None, union: Union) -> Permit:
    """A union's member roster (会员名册) is its own: only its own managers import it; a
    union above does not, whatever its level."""
    admin = union_admin_of(user)
    if admin is not None and admin.role in MANAGERS and admin.union_id == union.pk:
        return ALLOWED
    return Permit(False, _("会员名册只能由%(union)s本级工会的管理员导入。") % {"union": union.name})


def may_view_audit_log(*, user: AbstractBaseUser | None, program: Program | None = None) -> Permit:
    """The audit log: managers and finance of a programme's owner or above; without a
    programme, of the tree's root union or of a union that runs (or is above) a programme."""
    if program is not None:
        return _owner_side(user=user, program=program, roles=MONEY_ROLES, act=_("查看审计日志"))
    admin = union_admin_of(user)
    if admin is not None and admin.role in MONEY_ROLES and _runs_or_roots(admin.union):
        return ALLOWED
    return Permit(False, _("只有主办实施方案的工会及其上级工会的管理员或财务可以查看审计日志。"))


def may_view_dashboard(*, user: AbstractBaseUser | None, program: Program) -> Permit:
    """The programme's dashboard: every staff account inside the owner's subtree (its own
    part) or at or above the owner (all of it)."""
    admin = union_admin_of(user)
    if admin is not None and (
        program.owner_union.path.startswith(admin.union.path) or admin.union.path.startswith(program.owner_union.path)
    ):
        return ALLOWED
    return Permit(
        False,
        _("只有本方案主办工会（%(owner)s）及其上下级工会的工作人员可以查看数据看板。")
        % {"owner": program.owner_union.name},
    )


def programs_permitted(*, user: AbstractBaseUser | None, check, programs=None) -> list[Program]:
    """The programmes (of ``programs``, default: those the user's union owns or is above)
    for which ``check(user=, program=)`` allows: what a page may offer."""
    admin = union_admin_of(user)
    if admin is None:
        staff = cofunder_staff_of(user)
        if staff is None:
            return []
        # A university's staff acts on the one programme it co-funds.
        programs = (programs if programs is not None else Program.objects).filter(pk=staff.cofunder.program_id)
    elif programs is None:
        programs = Program.objects.filter(owner_union__path__startswith=admin.union.path)
    programs = programs.select_related("owner_union").order_by("-year", "name")
    return [p for p in programs if check(user=user, program=p)]
