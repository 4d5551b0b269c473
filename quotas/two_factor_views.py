"""The staff pages of the second factor: enrol an authenticator, type a code (or a
recovery code). Only these, logout and login are open to a staff session not yet verified
(``two_factor.StaffTwoFactorMiddleware``)."""

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from .two_factor import (
    safe_next,
    staff_otp_enrol,
    staff_otp_session_login,
    staff_otp_verify,
    staff_totp_device,
    staff_totp_pending,
    totp_qr_data_uri,
    totp_secret_text,
)


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_lazy("验证码"),
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


def _context(request, **extra) -> dict:
    return {**admin.site.each_context(request), **extra}


@never_cache
@sensitive_post_parameters("token")
@staff_member_required
def staff_otp_setup(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, "/admin/")
    if staff_totp_device(request.user) is not None and not request.user.is_verified():
        # Already enrolled: a new device only after a reset by a manager above.
        return redirect(f"{request.path.replace('setup', 'verify')}?next={next_url}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = staff_otp_enrol(user=request.user, token=form.cleaned_data["token"])
        if result is None:
            form.add_error("token", _("验证码不正确，请输入认证器当前显示的6位数字。"))
        else:
            device, codes = result
            staff_otp_session_login(request, device)
            # Shown this once and never again: the page says to print or write them down.
            return render(
                request,
                "quotas/admin/otp_recovery_codes.html",
                _context(request, title=_("备用恢复码"), codes=codes, next=next_url),
            )
    device = staff_totp_pending(user=request.user)
    return render(
        request,
        "quotas/admin/otp_setup.html",
        _context(
            request,
            title=_("绑定身份验证器"),
            form=form,
            qr=totp_qr_data_uri(device),
            secret=totp_secret_text(device),
            next=next_url,
        ),
    )


@never_cache
@sensitive_post_parameters("token")
@staff_member_required
def staff_otp_verify_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, "/admin/")
    if staff_totp_device(request.user) is None:
        return redirect(f"{request.path.replace('verify', 'setup')}?next={next_url}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = staff_otp_verify(user=request.user, token=form.cleaned_data["token"])
        if device is None:
            form.add_error(
                "token", _("验证码不正确或尝试过于频繁，请稍后输入认证器上的新验证码，或使用一个备用恢复码。")
            )
        else:
            staff_otp_session_login(request, device)
            return redirect(next_url)
    return render(
        request, "quotas/admin/otp_verify.html", _context(request, title=_("双因素认证"), form=form, next=next_url)
    )
