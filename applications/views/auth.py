"""Sign-in pages: password login, SMS-code login, registration and 忘记密码 by SMS code.

Each SMS page is one form with two buttons: 获取验证码 (``name="send"``: checks the number
only and sends) and the page's own submit. Register and reset answer the same whatever
the number (the SMS tells its owner what happened)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from qiuxue.masking import mask_phone

from .. import throttle
from ..accounts import account_password_reset, account_register, account_sms_login
from ..forms import PasswordResetForm, PhoneForm, RegisterForm, SmsLoginForm, ThrottledLoginForm
from ..models import SmsCodePurpose
from ..sms_codes import SmsSendRefused, sms_code_send

BACKEND = "django.contrib.auth.backends.ModelBackend"


class WorkerLoginView(LoginView):
    template_name = "applications/login.html"
    form_class = ThrottledLoginForm
    redirect_authenticated_user = True


def _send_pressed(request: HttpRequest) -> bool:
    """获取验证码 pressed. Enter in a filled-in code field also lands on that button (it is
    the form's first), so a typed code means the page's own submit."""
    return request.method == "POST" and "send" in request.POST and not request.POST.get("code")


def code_send_step(request: HttpRequest, *, phone_form, purpose: str, user=None) -> dict:
    """Send the code for the send button; what the page shows about it (never whether the
    number is registered)."""
    if not phone_form.is_valid():
        return {"send_errors": phone_form.errors.get("phone", [])}
    try:
        sent = sms_code_send(
            phone=phone_form.cleaned_data["phone"], purpose=purpose, ip=throttle.client_ip(request), user=user
        )
    except SmsSendRefused as exc:
        return {"send_errors": exc.messages, "retry_after": exc.retry_after}
    except ValidationError as exc:
        return {"send_errors": exc.messages}
    return {
        "sent_to": mask_phone(sent.phone),
        "retry_after": sent.retry_after,
        "demo_text": sent.demo_text,
    }


def _sms_page(request, *, form_class, purpose: str, title: str, intro: str, submit: str, done):
    context = {"title": title, "intro": intro, "submit": submit, "purpose": purpose}
    if _send_pressed(request):
        form = form_class(initial={"phone": request.POST.get("phone", "")})
        context.update(code_send_step(request, phone_form=PhoneForm(request.POST), purpose=purpose))
    else:
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                return done(form.cleaned_data)
            except ValidationError as exc:
                form.add_error("code", exc)
    context["form"] = form
    return render(request, "applications/sms_form.html", context)


@sensitive_post_parameters("password1", "password2", "code")
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("applications:home")

    def done(data):
        user = account_register(phone=data["phone"], code=data["code"], password=data["password1"])
        login(request, user, backend=BACKEND)
        return redirect("applications:profile")

    return _sms_page(
        request,
        form_class=RegisterForm,
        purpose=SmsCodePurpose.REGISTER,
        title=_("职工注册"),
        intro=_("用本人手机号注册：先获取短信验证码，密码至少8位，不能全是数字。"),
        submit=_("注册"),
        done=done,
    )


@sensitive_post_parameters("password1", "password2", "code")
def password_reset(request: HttpRequest) -> HttpResponse:
    def done(data):
        account_password_reset(phone=data["phone"], code=data["code"], password=data["password1"])
        throttle.login_sms_success_record(username=data["phone"], ip=throttle.client_ip(request))
        messages.success(request, _("密码已重设，请用新密码登录。"))
        return redirect("applications:login")

    return _sms_page(
        request,
        form_class=PasswordResetForm,
        purpose=SmsCodePurpose.RESET,
        title=_("忘记密码"),
        intro=_("输入注册时的手机号，获取短信验证码后设置新密码。"),
        submit=_("重设密码"),
        done=done,
    )


@sensitive_post_parameters("code")
def sms_login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("applications:home")

    def done(data):
        user = account_sms_login(phone=data["phone"], code=data["code"], ip=throttle.client_ip(request))
        login(request, user, backend=BACKEND)
        return redirect("applications:home")

    return _sms_page(
        request,
        form_class=SmsLoginForm,
        purpose=SmsCodePurpose.LOGIN,
        title=_("短信验证码登录"),
        intro=_("忘了密码或密码登录被暂停时，用发到本人手机的验证码登录。"),
        submit=_("登录"),
        done=done,
    )
