from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..forms import ProfileForm
from ..selectors import union_search, worker_of
from ..services import worker_profile_save


def _initial(worker) -> dict:
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
    return {f: getattr(worker, f) for f in fields}


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    worker = worker_of(request.user)
    form = ProfileForm(request.POST or None, worker=worker, initial=_initial(worker))
    if request.method == "POST" and form.is_valid():
        try:
            worker_profile_save(user=request.user, data=form.profile_data())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("个人信息已保存。"))
            return redirect("applications:home")
    return render(request, "applications/profile.html", {"form": form, "worker": worker})


@login_required
@require_GET
def union_search_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"results": union_search(query=request.GET.get("q", ""))})
