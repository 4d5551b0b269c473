from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from qiuxue.crypto import hmac_index

from ..changes import change_title, pending_notice
from ..forms import ProfileForm
from ..selectors import union_search, worker_change_pending_of, worker_money_is_held, worker_of
from ..services import worker_profile_save
from .account import reauth_fresh, reauth_url, reauth_use


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
        "is_union_cadre",
        "is_advanced_worker",
        "is_new_form_worker",
        "categories",
        "bank_name",
    ]
    initial = {f: getattr(worker, f) for f in fields}
    if pending is not None:
        # The form shows what the worker asked for; saving it again keeps that request.
        initial.update({f: getattr(pending, f) for f in ("name", "employer", "union", "bank_name")})
    return initial


def _card_change_allowed(request: HttpRequest, worker, form: ProfileForm) -> bool:
    """A new bank card on an existing profile needs a fresh code to the current phone: a
    stolen session alone must not redirect the money (the first card comes with the
    profile, right after registration proved the phone)."""
    card = form.cleaned_data.get("bank_card")
    if worker is None or not card or hmac_index(card) == worker.bank_card_hmac or reauth_fresh(request):
        return True
    form.add_error("bank_card", _("修改银行卡号需要先验证本人手机：请点上方“获取验证码”，验证后再填写新卡号。"))
    return False


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    worker = worker_of(request.user)
    pending = worker_change_pending_of(worker=worker)
    form = ProfileForm(request.POST or None, worker=worker, pending=pending, initial=_initial(worker, pending))
    if request.method == "POST" and form.is_valid() and _card_change_allowed(request, worker, form):
        try:
            saved = worker_profile_save(user=request.user, data=form.profile_data())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if form.cleaned_data["bank_card"]:
                reauth_use(request)
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
            "reauth_fresh": reauth_fresh(request),
            "reauth_link": reauth_url(reverse("applications:profile")),
        },
    )


@login_required
@require_GET
def union_search_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"results": union_search(query=request.GET.get("q", ""))})
