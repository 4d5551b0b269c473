"""Admin of member rosters (会员名册): the list (scoped to the user's subtree) and the
import page of the manager's own union: upload → preview (count, invalid rows by number)
→ confirm. The file waits in private storage under a server-chosen name, like the quota
table import (``admin_views``); nothing is written until the confirm, and then all at once."""

import re
import uuid
from pathlib import Path

from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from .admin_scoping import UnionScopedAdmin
from .admin_views import imported_name
from .forms import QuotaTableUploadForm
from .models import MemberRoster
from .permissions import may_import_roster
from .rosters import member_roster_import, roster_count, roster_read
from .selectors import union_admin_of


class RosterUploadForm(QuotaTableUploadForm):
    """The quota table's file checks (type, size), without its options."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["create_missing"]
        self.fields["file"].label = _("会员名册（.xlsx 或 .csv，须有“姓名”“身份证号”两列）")


TOKEN_SALT = "quotas.member-roster-import"
TOKEN_MAX_AGE = 60 * 60
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(xlsx|csv)$")


@admin.register(MemberRoster)
class MemberRosterAdmin(UnionScopedAdmin):
    list_display = ["union", "count", "imported_at", "imported_by", "filename"]
    change_list_template = "quotas/admin/roster_change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="quotas_memberroster_import"), *super().get_urls()]

    def import_view(self, request):
        admin_ = union_admin_of(request.user)
        if admin_ is None:
            raise PermissionDenied(_("只有工会管理员可以导入会员名册。"))
        union = admin_.union
        permit = may_import_roster(user=request.user, union=union)
        if not permit:
            raise PermissionDenied(permit.reason)
        context = {
            **self.admin_site.each_context(request),
            "opts": MemberRoster._meta,
            "title": _("导入会员名册：%(u)s") % {"u": union.name},
            "union": union,
            "count_before": roster_count(union=union),
        }
        if request.method != "POST":
            return render(request, "quotas/admin/roster_import.html", {**context, "form": RosterUploadForm()})
        token = request.POST.get("t", "")
        if token:
            return self._confirm(request, union, token, context)
        form = RosterUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, "quotas/admin/roster_import.html", {**context, "form": form})
        upload = form.cleaned_data["file"]
        content = upload.read()
        reading = roster_read(name=upload.name, content=content)
        if reading.ok:
            stored = f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
            stored = default_storage.save(imported_name(stored), ContentFile(content)).rsplit("/", 1)[-1]
            token = signing.dumps(
                {"f": stored, "n": Path(upload.name).name[:120], "u": request.user.pk, "g": union.pk}, salt=TOKEN_SALT
            )
        return render(
            request,
            "quotas/admin/roster_import.html",
            {**context, "reading": reading, "token": token, "filename": upload.name},
        )

    def _confirm(self, request, union, token, context):
        try:
            data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        except signing.BadSignature:
            data = None
        name = imported_name(data["f"]) if data and STORED_NAME.match(data.get("f", "")) else ""
        ok = data and data.get("u") == request.user.pk and data.get("g") == union.pk and name
        if not ok or not default_storage.exists(name):
            messages.error(request, _("预览已失效或不属于您，请重新上传会员名册。"))
            return redirect("admin:quotas_memberroster_import")
        with default_storage.open(name, "rb") as handle:
            reading = roster_read(name=data["f"], content=handle.read())
        if not reading.ok:  # re-read from the server's copy: never half-written
            return render(request, "quotas/admin/roster_import.html", {**context, "reading": reading})
        roster = member_roster_import(union=union, reading=reading, actor=request.user, filename=data["n"])
        default_storage.delete(name)
        messages.success(
            request,
            _("会员名册已导入：%(n)d 人（原 %(b)s 人）。") % {"n": roster.count, "b": context["count_before"] or 0},
        )
        return redirect(reverse("admin:quotas_memberroster_changelist"))
