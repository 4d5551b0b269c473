from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from ..forms import RegisterForm, ThrottledLoginForm
from ..services import worker_user_register


class WorkerLoginView(LoginView):
    template_name = "applications/login.html"
    form_class = ThrottledLoginForm
    redirect_authenticated_user = True


@sensitive_post_parameters("password1", "password2")
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("applications:home")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = worker_user_register(phone=form.cleaned_data["phone"], password=form.cleaned_data["password1"])
        except ValidationError as exc:
            form.add_error("phone", exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("applications:profile")
    return render(request, "applications/register.html", {"form": form})
