"""Admin pages for quota tables: upload → preview → confirm, export, apportionment.

The uploaded file waits in the private default storage (local MEDIA_ROOT or the S3 bucket,
so the preview and the confirm may be served by another machine) under private/imports/ with
a server-chosen name; the browser only holds a signed token naming it (and the source, user and options), so the
rows that get written are always re-read from the server's copy, never from the form.
"""

import re
import uuid
from pathlib import Path

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from .admin_permissions import may_write_setup
from .apportion import apportion_units_for, quota_table_propose_from_members
from .forms import ApportionForm, QuotaTableUploadForm, QuotaTransferForm
from .models import FundingSource
from .permissions import may_move_quota, may_set_up_program
from .quota_tables import (
    QuotaTableError,
    QuotaTableReadError,
    quota_table_export_xlsx,
    quota_table_import,
    quota_table_preview,
    quota_table_read,
)
from .services import audit_log_write, quota_transfer
from .usage import quota_given_counts

TOKEN_SALT = "quotas.quota-table-import"
TOKEN_MAX_AGE = 60 * 60
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(xlsx|csv)$")


IMPORTS_PREFIX = "private/imports/"


def imported_name(stored: str) -> str:
    return f"{IMPORTS_PREFIX}{stored}"


class SourceAdminView(View):
    model_admin = None
    needs_write = True

    def dispatch(self, request, source_id: int):
        # The admin's own queryset: a source outside the user's scope is a 404.
        queryset = self.model_admin.get_queryset(request).select_related("program__owner_union", "matching_of")
        self.source = get_object_or_404(queryset, pk=source_id)
        if self.needs_write and not may_write_setup(request, self.source):
            raise PermissionDenied(may_set_up_program(user=request.user, program=self.source.program).reason)
        return super().dispatch(request, source_id)

    def render(self, template: str, title: str, **context):
        site = self.model_admin.admin_site
        return render(
            self.request,
            template,
            {
                **site.each_context(self.request),
                "opts": FundingSource._meta,
                "source": self.source,
                "title": title,
                "quota_list_url": reverse("admin:quotas_quota_changelist") + f"?source__id__exact={self.source.pk}",
                **context,
            },
        )


class QuotaImportUploadView(SourceAdminView):
    template = "quotas/admin/import_upload.html"

    def get(self, request, source_id):
        return self.render(self.template, _("导入名额分配表"), form=QuotaTableUploadForm())

    def post(self, request, source_id):
        form = QuotaTableUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(self.template, _("导入名额分配表"), form=form)
        upload = form.cleaned_data["file"]
        stored = f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
        saved = default_storage.save(imported_name(stored), upload)
        stored = saved.removeprefix(IMPORTS_PREFIX)
        token = signing.dumps(
            {
                "f": stored,
                "n": Path(upload.name).name[:120],
                "s": self.source.pk,
                "u": request.user.pk,
                "c": form.cleaned_data["create_missing"],
            },
            salt=TOKEN_SALT,
        )
        url = reverse("admin:quotas_fundingsource_quota_import_preview", args=[self.source.pk])
        return redirect(f"{url}?t={token}")


class QuotaImportPreviewView(SourceAdminView):
    template = "quotas/admin/import_preview.html"

    def _load(self, token: str) -> dict | None:
        try:
            data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        except signing.BadSignature:
            return None
        ok = data.get("s") == self.source.pk and data.get("u") == self.request.user.pk
        if not ok or not STORED_NAME.match(data.get("f", "")) or not default_storage.exists(imported_name(data["f"])):
            return None
        return data

    def _preview(self, data: dict):
        with default_storage.open(imported_name(data["f"]), "rb") as handle:
            raw = handle.read()
        try:
            table = quota_table_read(data=raw, filename=data["f"])
        except QuotaTableReadError as exc:
            return None, str(exc)
        return quota_table_preview(source=self.source, table=table, create_missing=data["c"]), None

    def _expired(self):
        messages.error(self.request, _("预览已失效或不属于您，请重新上传名额分配表"))
        return redirect("admin:quotas_fundingsource_quota_import", self.source.pk)

    def get(self, request, source_id):
        data = self._load(request.GET.get("t", ""))
        if data is None:
            return self._expired()
        preview, error = self._preview(data)
        return self.render(
            self.template, _("名额分配表预览"), preview=preview, error=error, token=request.GET["t"], filename=data["n"]
        )

    def post(self, request, source_id):
        token = request.POST.get("t", "")
        data = self._load(token)
        if data is None:
            return self._expired()
        preview, error = self._preview(data)
        if preview is None or not preview.ok:
            return self.render(
                self.template, _("名额分配表预览"), preview=preview, error=error, token=token, filename=data["n"]
            )
        try:
            result = quota_table_import(
                source=self.source, rows=preview.rows, actor=request.user, create_missing=data["c"], filename=data["n"]
            )
        except QuotaTableError as exc:
            preview.problems.extend(exc.problems)
            return self.render(self.template, _("名额分配表预览"), preview=preview, token=token, filename=data["n"])
        default_storage.delete(imported_name(data["f"]))
        messages.success(
            request,
            _("名额分配表已导入：新增 %(c)s 行，更新 %(u)s 行，删除 %(r)s 行，新建单位 %(n)s 个，合计 %(t)s")
            % {
                "c": result.created,
                "u": result.updated,
                "r": len(result.removed),
                "n": len(result.created_unions),
                "t": result.total,
            },
        )
        return redirect(reverse("admin:quotas_quota_changelist") + f"?source__id__exact={self.source.pk}")


class QuotaExportView(SourceAdminView):
    needs_write = False

    def get(self, request, source_id):
        content = quota_table_export_xlsx(source=self.source)
        with transaction.atomic():
            audit_log_write(
                actor=request.user, action="quota_table.export", obj=self.source, detail={"bytes": len(content)}
            )
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        filename = f"quota-table-{self.source.program.slug}-{self.source.pk}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ApportionView(SourceAdminView):
    template = "quotas/admin/apportion.html"

    def get(self, request, source_id):
        pool = self.source.quotas.filter(is_pool=True).values_list("slots", flat=True).first() or 0
        return self.render(
            self.template,
            _("按会员数比例生成名额表"),
            form=ApportionForm(initial={"pool": pool}),
            units=apportion_units_for(self.source),
        )

    def post(self, request, source_id):
        form = ApportionForm(request.POST)
        units = apportion_units_for(self.source)
        if not form.is_valid():
            return self.render(self.template, _("按会员数比例生成名额表"), form=form, units=units)
        preview = quota_table_propose_from_members(source=self.source, pool=form.cleaned_data["pool"])
        if "confirm" not in request.POST or not preview.ok:
            return self.render(self.template, _("按会员数比例生成名额表"), form=form, units=units, preview=preview)
        try:
            quota_table_import(source=self.source, rows=preview.rows, actor=request.user, filename="按会员数比例生成")
        except QuotaTableError as exc:
            preview.problems.extend(exc.problems)
            return self.render(self.template, _("按会员数比例生成名额表"), form=form, units=units, preview=preview)
        messages.success(request, _("已按会员数比例生成名额表，合计 %(t)s") % {"t": preview.total})
        return redirect(reverse("admin:quotas_quota_changelist") + f"?source__id__exact={self.source.pk}")


class QuotaTransferView(SourceAdminView):
    """Move places between two rows of a source's quota table (调剂), with a reason:
    for the managers of the programme's owner union or above."""

    template = "quotas/admin/quota_transfer.html"
    needs_write = False  # checked in dispatch, so the refusal is a message, not a 403

    def dispatch(self, request, source_id: int):
        queryset = self.model_admin.get_queryset(request).select_related("program__owner_union", "matching_of")
        self.source = get_object_or_404(queryset, pk=source_id)
        permit = may_move_quota(user=request.user, source=self.source)
        if not permit:
            messages.error(request, permit.reason)
            return redirect(reverse("admin:quotas_quota_changelist") + f"?source__id__exact={self.source.pk}")
        return View.dispatch(self, request, source_id)

    def _page(self, form):
        rows = list(form.fields["from_quota"].queryset)
        given = quota_given_counts(rows)
        table = [{"quota": q, "given": given[q.pk], "free": max(q.slots - given[q.pk], 0)} for q in rows]
        return self.render(self.template, _("名额调剂"), form=form, rows=table)

    def get(self, request, source_id):
        return self._page(QuotaTransferForm(source=self.source))

    def post(self, request, source_id):
        form = QuotaTransferForm(request.POST, source=self.source)
        if not form.is_valid():
            return self._page(form)
        data = form.cleaned_data
        try:
            quota_transfer(
                from_quota=data["from_quota"],
                to_quota=data["to_quota"],
                slots=data["slots"],
                actor=request.user,
                reason=data["reason"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            return self._page(form)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            return self._page(form)
        messages.success(
            request,
            _("已从「%(a)s」调出 %(n)s 个名额到「%(b)s」。")
            % {"a": data["from_quota"], "n": data["slots"], "b": data["to_quota"]},
        )
        return redirect(reverse("admin:quotas_quota_changelist") + f"?source__id__exact={self.source.pk}")
