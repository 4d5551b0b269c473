"""Sensitive changes ask again: a code to the current phone before a new password, a new
phone number or a new bank card (which then goes into the held-change review when money is
approved, ``applications/changes.py``). A correct code marks the session for
``REAUTH_SECONDS``; each change uses the mark up."""

import time

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from qiuxue.masking import mask_phone

from ..accounts import account_password_change, account_phone_change, account_phone_of, account_reauth_verify
from ..forms import CodeForm, PasswordChangeForm, PhoneChangeForm, PhoneForm
from ..models import SmsCodePurpose
from .auth import _send_pressed, code_send_step

REAUTH_SECONDS = 10 * 60
REAUTH_SESSION_KEY = "sms_reauth_at"


def reauth_fresh(request: HttpRequest) -> bool:
    at = request.session.get(REAUTH_SESSION_KEY)
    return at is not None and time.time() - at < REAUTH_SECONDS


def reauth_use(request: HttpRequest) -> None:
    request.session.pop(REAUTH_SESSION_KEY, None)


def reauth_url(next_url: str) -> str:
    return f"{reverse('applications:reauth')}?next={next_url}"


@login_required
@sensitive_post_parameters("code")
def reauth(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("applications:profile")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("applications:profile")
    phone = account_phone_of(request.user)
    context = {"next": next_url, "phone_masked": mask_phone(phone)}
    if _send_pressed(request):
        form = CodeForm()
        context.update(
            code_send_step(
                request,
                phone_form=PhoneForm({"phone": phone}),
                purpose=SmsCodePurpose.REAUTH,
                user=request.user,
            )
        )
    else:
        form = CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                account_reauth_verify(user=request.user, code=form.cleaned_data["code"])
            except ValidationError as exc:
                form.add_error("code", exc)
            else:
                request.session[REAUTH_SESSION_KEY] = time.time()
                return redirect(next_url)
    context["form"] = form
    return render(request, "applications/reauth.html", context)


@login_required
@sensitive_post_parameters("password1", "password2")
def password_change(request: HttpRequest) -> HttpResponse:
    if not reauth_fresh(request):
        return redirect(reauth_url(reverse("applications:password_change")))
    form = PasswordChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        account_password_change(user=request.user, password=form.cleaned_data["password1"])
        update_session_auth_hash(request, request.user)  # this session stays, the others end
        reauth_use(request)
        messages.success(request, _("密码已修改。"))
        return redirect("applications:profile")
    return render(
        request, "applications/account_form.html", {"form": form, "title": _("修改密码"), "submit": _("保存新密码")}
    )


@login_required
@sensitive_post_parameters("code")
def phone_change(request: HttpRequest) -> HttpResponse:
    if not reauth_fresh(request):
        return redirect(reauth_url(reverse("applications:phone_change")))
    context = {"title": _("更换手机号"), "submit": _("确认更换"), "sms": True}
    if _send_pressed(request):
        form = PhoneChangeForm(initial={"phone": request.POST.get("phone", "")})
        context.update(
            code_send_step(
                request, phone_form=PhoneForm(request.POST), purpose=SmsCodePurpose.PHONE_NEW, user=request.user
            )
        )
    else:
        form = PhoneChangeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                account_phone_change(
                    user=request.user, new_phone=form.cleaned_data["phone"], code=form.cleaned_data["code"]
                )
            except ValidationError as exc:
                form.add_error("code", exc)
            else:
                reauth_use(request)
                messages.success(request, _("手机号已更换，以后请用新手机号登录。"))
                return redirect("applications:profile")
    context["form"] = form
    return render(request, "applications/account_form.html", context)
