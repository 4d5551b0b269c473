"""Who may see and write programme set-up in the admin (shared by admin.py and admin_views.py).

The rule itself is ``quotas.permissions.may_set_up_program``; this only finds the programme
an admin object belongs to."""

from django.db.models import Q
from django.http import HttpRequest

from .models import Program
from .permissions import may_set_up_program
from .selectors import union_scope_of


def _program_of(obj) -> Program | None:
    """The programme ``obj`` (a programme, batch, source, quota row, catalogue entry) is part of."""
    if isinstance(obj, Program):
        return obj
    return getattr(obj, "program", None) or getattr(getattr(obj, "source", None), "program", None)


def may_write_setup(request: HttpRequest, obj=None) -> bool:
    """Managers of the owner union (or above) write a programme's set-up; without an object
    (the add page) see ``may_set_up_program``."""
    if obj is None:
        return may_set_up_program(user=request.user).allowed
    program = _program_of(obj)
    return program is not None and may_set_up_program(user=request.user, program=program).allowed


def setup_visible(request: HttpRequest, qs, lookup: str):
    """Below the owner: see the programmes above you. At or above it: see your subtree's."""
    scope = union_scope_of(request.user)
    if scope is None:
        return qs.none()
    return qs.filter(
        Q(**{f"{lookup}__path__startswith": scope.path}) | Q(**{f"{lookup}__path__in": scope.ancestor_paths()})
    )
