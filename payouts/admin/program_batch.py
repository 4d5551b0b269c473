"""Owner-side admin pages that pick a programme and batch and call one service
(publish the 公示, build the payout lists): one form, one page flow.

Only the programmes the user may act on are offered (``permission``, one of
``quotas.permissions``); with none, the user is sent back to the list and told why."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quotas.models import Batch, Program
from quotas.permissions import Permit, programs_permitted


class ProgramBatchForm(forms.Form):
    program = forms.ModelChoiceField(label=gettext_lazy("项目"), queryset=Program.objects.none())
    batch = forms.ModelChoiceField(label=gettext_lazy("批次"), queryset=Batch.objects.none(), required=False)

    def __init__(self, *args, programs: list[Program], **kwargs):
        super().__init__(*args, **kwargs)
        allowed = Program.objects.filter(pk__in=[p.pk for p in programs]).order_by("-year", "name")
        self.fields["program"].queryset = allowed
        self.fields["batch"].queryset = Batch.objects.filter(program__in=allowed)

    def clean(self):
        data = super().clean()
        if data.get("batch") and data.get("program") and data["batch"].program_id != data["program"].pk:
            raise ValidationError(_("批次不属于所选项目。"))
        return data


def program_batch_refusal(*, user, permission: Callable[..., Permit]) -> str:
    """Why the page is not offered to ``user`` ("" when it is): the reason for the first
    programme in (or above) their part of the tree, or a general sentence."""
    if programs_permitted(user=user, check=permission):
        return ""
    from quotas.selectors import union_scope_of

    scope = union_scope_of(user)
    if scope is not None:
        near = Program.objects.filter(owner_union__path__in=scope.ancestor_paths()).select_related("owner_union")
        near = near.order_by("-year", "name").first()
        if near is not None:
            return permission(user=user, program=near).reason
    return _("您所在的工会没有可办理的实施方案。")


def program_batch_page(
    model_admin: ModelAdmin,
    request: HttpRequest,
    *,
    service: Callable,
    permission: Callable[..., Permit],
    title: str,
    template: str,
    success: Callable[[object], str],
    done_url: str,
) -> HttpResponse:
    """GET shows the form; a valid POST calls ``service(program=, batch=, actor=)`` and goes
    to ``done_url`` with ``success(result)``; a refusal is shown on the form."""
    programs = programs_permitted(user=request.user, check=permission)
    if not programs:
        messages.error(request, program_batch_refusal(user=request.user, permission=permission))
        return redirect(done_url)
    form = ProgramBatchForm(request.POST or None, programs=programs)
    if request.method == "POST" and form.is_valid():
        try:
            result = service(program=form.cleaned_data["program"], batch=form.cleaned_data["batch"], actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            model_admin.message_user(request, success(result), messages.SUCCESS)
            return redirect(done_url)
    context = {**model_admin.admin_site.each_context(request), "form": form, "title": title, "opts": model_admin.opts}
    return render(request, template, context)
