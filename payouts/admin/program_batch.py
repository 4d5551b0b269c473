"""City-staff admin pages that pick a programme and batch and call one service
(publish the 公示, build the payout lists): one form, one page flow."""

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
from quotas.selectors import union_scope_of, user_is_city_staff


class ProgramBatchForm(forms.Form):
    program = forms.ModelChoiceField(label=gettext_lazy("项目"), queryset=Program.objects.none())
    batch = forms.ModelChoiceField(label=gettext_lazy("批次"), queryset=Batch.objects.none(), required=False)

    def __init__(self, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        scope = union_scope_of(request.user)
        programs = Program.objects.filter(owner_union__path__startswith=scope.path) if scope else Program.objects.none()
        self.fields["program"].queryset = programs
        self.fields["batch"].queryset = Batch.objects.filter(program__in=programs)

    def clean(self):
        data = super().clean()
        if data.get("batch") and data.get("program") and data["batch"].program_id != data["program"].pk:
            raise ValidationError(_("批次不属于所选项目。"))
        return data


def program_batch_page(
    model_admin: ModelAdmin,
    request: HttpRequest,
    *,
    service: Callable,
    title: str,
    template: str,
    success: Callable[[object], str],
    done_url: str,
) -> HttpResponse:
    """GET shows the form; a valid POST calls ``service(program=, batch=, actor=)`` and goes
    to ``done_url`` with ``success(result)``; a refusal is shown on the form."""
    if not user_is_city_staff(request.user):
        raise PermissionDenied
    form = ProgramBatchForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            result = service(program=form.cleaned_data["program"], batch=form.cleaned_data["batch"], actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            model_admin.message_user(request, success(result), messages.SUCCESS)
            return redirect(done_url)
    context = {**model_admin.admin_site.each_context(request), "form": form, "title": title, "opts": model_admin.opts}
    return render(request, template, context)
