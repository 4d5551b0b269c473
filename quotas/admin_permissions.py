"""Who may see and write programme set-up in the admin (shared by admin.py and admin_views.py)."""

from django.db.models import Q
from django.http import HttpRequest

from .models import AdminRole, Program, UnionLevel
from .selectors import union_admin_of, union_scope_of


def _owner_path_of(obj) -> str | None:
    """The materialised path of the union that owns ``obj``'s programme."""
    if isinstance(obj, Program):
        return obj.owner_union.path
    program = getattr(obj, "program", None) or getattr(getattr(obj, "source", None), "program", None)
    return program.owner_union.path if program else None


def may_write_setup(request: HttpRequest, obj=None) -> bool:
    """Managers of the owner union (or above) write a programme's set-up.

    Without an object (the add page): a city/province manager, or the manager of a
    union that already owns a programme (a district running its own, like Xian'an).
    """
    admin_ = union_admin_of(request.user)
    if admin_ is None or admin_.role != AdminRole.MANAGER:
        return False
    if obj is None:
        return admin_.union.level in (UnionLevel.CITY, UnionLevel.PROVINCE) or admin_.union.programs.exists()
    owner_path = _owner_path_of(obj)
    return owner_path is not None and owner_path.startswith(admin_.union.path)


def setup_visible(request: HttpRequest, qs, lookup: str):
    """Below the owner: see the programmes above you. At or above it: see your subtree's."""
    scope = union_scope_of(request.user)
    if scope is None:
        return qs.none()
    return qs.filter(
        Q(**{f"{lookup}__path__startswith": scope.path}) | Q(**{f"{lookup}__path__in": scope.ancestor_paths()})
    )
