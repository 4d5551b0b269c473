"""Every admin in every app is scoped to the signed-in admin's union subtree.

``UnionScopedAdmin.union_lookup`` names the path from the model to a ``Union``; the
queryset is filtered to that union's subtree, object permissions are checked against it,
and union pickers only offer unions inside it. A model that carries its own copy of the
path (``Application.union_path``) names that column in ``union_path_field`` instead: the
subtree is then one indexed column, no join. Nobody without a ``UnionAdmin`` sees
anything, superusers included (an operator is attached to a union like everyone else).
"""

from django.contrib import admin
from django.http import Http404, HttpRequest

from .models import AdminRole, Union
from .selectors import union_admin_of, union_scope_of


class UnionScopedAdmin(admin.ModelAdmin):
    union_lookup: str = "union"
    # Set to a path column lookup (e.g. "union_path", "application__union_path") to scope
    # by it rather than by ``union_lookup``'s union path.
    union_path_field: str | None = None
    # Roles that may add/change/delete through this admin (view is open to every role).
    write_roles: tuple[str, ...] = (AdminRole.MANAGER,)

    def get_queryset(self, request: HttpRequest):
        qs = super().get_queryset(request)
        scope = union_scope_of(request.user)
        if scope is None:
            return qs.none()
        return qs.filter(**{f"{self.scope_path_lookup}__startswith": scope.path})

    @property
    def scope_path_lookup(self) -> str:
        return self.union_path_field or f"{self.union_lookup}__path"

    def _in_scope(self, request: HttpRequest, obj) -> bool:
        if obj is None:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def _may_write(self, request: HttpRequest) -> bool:
        admin_ = union_admin_of(request.user)
        return admin_ is not None and admin_.role in self.write_roles

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts, object_id):
        # Django redirects to the index with "does not exist"; an object outside the
        # admin's subtree is simply not there for them, so answer 404 like any other URL.
        raise Http404

    def has_module_permission(self, request: HttpRequest) -> bool:
        return union_admin_of(request.user) is not None

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return union_admin_of(request.user) is not None and self._in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_write(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_write(request) and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Union:
            scope = union_scope_of(request.user)
            kwargs["queryset"] = Union.objects.subtree_of(scope) if scope else Union.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyMixin:
    """For lists that only show what services wrote: no add, no change (view stays open)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
