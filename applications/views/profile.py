from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..changes import change_title, pending_notice
from ..forms import ProfileForm
from ..selectors import union_search, worker_change_pending_of, worker_money_is_held, worker_of
from ..services import worker_profile_save


def _initial(worker, pending) -> dict:
    if worker is None:
        return {}
    fields = [
        "name",
        "employer",
        "union",
        "position",
        "email",
        "is_frontline",
        "is_migrant",
        "is_public_sector",
        "is_model_worker",
        "is_new_form_worker",
        "categories",
        "bank_name",
    ]
    initial = {f: getattr(worker, f) for f in fields}
    if pending is not None:
        # The form shows what the worker asked for; saving it again keeps that request.
        initial.update({f: getattr(pending, f) for f in ("name", "employer", "union", "bank_name")})
    return initial


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    worker = worker_of(request.user)
    pending = worker_change_pending_of(worker=worker)
    form = ProfileForm(request.POST or None, worker=worker, pending=pending, initial=_initial(worker, pending))
    if request.method == "POST" and form.is_valid():
        try:
            saved = worker_profile_save(user=request.user, data=form.profile_data())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            pending = worker_change_pending_of(worker=saved)
            if pending is not None:
                messages.warning(
                    request,
                    _("%(title)s：已提交所在工会核实，核实前补助暂缓发放，其他信息已保存。")
                    % {"title": change_title(pending.fields)},
                )
            else:
                messages.success(request, _("个人信息已保存。"))
            return redirect("applications:home")
    return render(
        request,
        "applications/profile.html",
        {
            "form": form,
            "worker": worker,
            "pending": pending_notice(pending),
            "money_held": worker is not None and worker_money_is_held(worker=worker),
        },
    )


@login_required
@require_GET
def union_search_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"results": union_search(query=request.GET.get("q", ""))})
