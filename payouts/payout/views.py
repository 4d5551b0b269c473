"""Staff views around payout lists: start an export, poll it, download the file, import a
bank return, see the reconciliation. Thin: permission, then one service or selector call."""

import io

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from qiuxue.files import private_file_response
from qiuxue.tables.stream import Column, xlsx_write
from quotas.models import Program
from quotas.permissions import may_export_payout_list, may_record_bank_return
from quotas.services import audit_log_write

from ..labels import SIGN_OFF
from ..models import ExportStatus, PayoutList
from .bank_return import MAX_RETURN_BYTES, bank_return_import
from .selectors import RECON_KEYS, payout_lists_visible_to, payout_reconciliation
from .services import payout_list_export_request


def _list_for(request: HttpRequest, pk: int) -> PayoutList:
    return get_object_or_404(payout_lists_visible_to(request.user).select_related("program__owner_union"), pk=pk)


class Refused(Exception):
    """A step the user may not take on this list; ``response`` tells them why, on the page."""

    def __init__(self, response: HttpResponse):
        self.response = response


def _permitted(request: HttpRequest, payout_list: PayoutList, check) -> None:
    """Back to the list's page with the reason (``check`` is a ``quotas.permissions`` function)."""
    permit = check(user=request.user, payout_list=payout_list)
    if not permit:
        messages.error(request, permit.reason)
        raise Refused(redirect(_admin_change_url(payout_list)))


def _refusal_shown(view):
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Refused as refused:
            return refused.response
        except PermissionDenied as exc:  # a service refused after the page's check
            messages.error(request, str(exc))
            return redirect(reverse("admin:payouts_payoutlist_changelist"))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _admin_change_url(payout_list: PayoutList) -> str:
    return reverse("admin:payouts_payoutlist_change", args=[payout_list.pk])


@staff_member_required
@require_POST
@_refusal_shown
def payout_export_start(request: HttpRequest, pk: int) -> HttpResponse:
    payout_list = _list_for(request, pk)
    _permitted(request, payout_list, may_export_payout_list)
    payout_list_export_request(payout_list=payout_list, actor=request.user)
    messages.info(request, _("已开始生成发放名单文件。"))
    return redirect(_admin_change_url(payout_list))


@staff_member_required
@require_GET
def payout_export_status(request: HttpRequest, pk: int) -> JsonResponse:
    payout_list = _list_for(request, pk)
    permit = may_export_payout_list(user=request.user, payout_list=payout_list)
    if not permit:  # polled by the page's script: the reason goes in the JSON
        return JsonResponse({"status": "refused", "message": permit.reason}, status=403)
    done = payout_list.export_status == ExportStatus.DONE and bool(payout_list.file)
    return JsonResponse(
        {
            "status": payout_list.export_status,
            "status_display": payout_list.get_export_status_display(),
            "progress": payout_list.export_progress,
            "message": payout_list.export_message,
            "download_url": reverse("payouts:payout_download", args=[payout_list.pk]) if done else "",
        }
    )


@staff_member_required
@require_GET
@_refusal_shown
def payout_download(request: HttpRequest, pk: int) -> FileResponse:
    payout_list = _list_for(request, pk)
    _permitted(request, payout_list, may_export_payout_list)
    if not payout_list.file or not default_storage.exists(payout_list.file.name):
        raise Http404(_("文件尚未生成。"))
    with transaction.atomic():
        audit_log_write(
            actor=request.user,
            action="payout_list.download",
            obj=payout_list,
            detail={"file": payout_list.file.name, "rows": payout_list.row_count},
        )
    return private_file_response(
        name=payout_list.file.name,
        filename=f"{payout_list.title}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


class BankReturnForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("银行回盘文件（XLSX 或 CSV）"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_RETURN_BYTES:
            raise ValidationError(_("文件过大。"))
        if not f.name.lower().endswith((".xlsx", ".csv")):
            raise ValidationError(_("请上传 XLSX 或 CSV 文件。"))
        return f


@staff_member_required
@_refusal_shown
def payout_bank_return(request: HttpRequest, pk: int) -> HttpResponse:
    # Reading the return means matching full numbers: the same roles as the export.
    payout_list = _list_for(request, pk)
    _permitted(request, payout_list, may_record_bank_return)
    form = BankReturnForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            counts = bank_return_import(
                payout_list=payout_list, name=upload.name, content=upload.read(), actor=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            text = _("回盘已导入：成功 %(paid)d 笔，失败 %(failed)d 笔。") % counts
            if counts["void"]:
                text += _("另有 %(void)d 笔作废明细银行未发放，无需处理。") % counts
            messages.success(request, text)
            return redirect(_admin_change_url(payout_list))
    return render(request, "payouts/payout/bank_return.html", {"payout_list": payout_list, "form": form})


RECON_LABELS = {
    "paid": "已发放",
    "failed": "发放失败待补发",
    "pending": "待回盘",
    "reissued": "已转补发",
    "void": "作废",
}


@staff_member_required
@require_GET
def payout_reconciliation_view(request: HttpRequest, program_pk: int) -> HttpResponse:
    program = get_object_or_404(Program, pk=program_pk)
    lists = payout_lists_visible_to(request.user).filter(program=program)
    if not lists.exists():
        raise Http404
    rows = payout_reconciliation(lists=lists)
    if request.GET.get("format") == "xlsx":
        return _reconciliation_xlsx(request, program, rows)
    return render(
        request,
        "payouts/payout/reconciliation.html",
        {"program": program, "rows": rows, "keys": RECON_KEYS, "labels": RECON_LABELS},
    )


def _reconciliation_xlsx(request: HttpRequest, program: Program, rows) -> HttpResponse:
    columns = [Column(_("补助来源"), 16), Column(_("发放单位"), 24)]
    for key in RECON_KEYS:
        columns += [
            Column(_(RECON_LABELS[key]) + _("人数"), 12, True),
            Column(_(RECON_LABELS[key]) + _("金额"), 14, True),
        ]
    body = [[r.source, r.payer, *[v for k in RECON_KEYS for v in (r.counts[k], r.sums[k])]] for r in rows]
    totals = [_("合计"), ""] + [sum(row[i] for row in body) for i in range(2, len(columns))]
    buf = io.BytesIO()
    title = _("%(program)s补助发放对账表（%(date)s）") % {"program": program.name, "date": timezone.localdate()}
    xlsx_write(
        buf,
        title=title,
        columns=columns,
        rows=body,
        totals=totals,
        sheet_name=_("对账"),
        row_count=len(body),
        page_header=program.name,
        signature=SIGN_OFF,
    )
    with transaction.atomic():
        audit_log_write(
            actor=request.user, action="payout.reconciliation_export", obj=program, detail={"rows": len(body)}
        )
    response = HttpResponse(
        buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename=reconciliation-{program.pk}.xlsx"
    return response
