from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from ..selectors import worker_of


def worker_required(view):
    """Signed in and with a real-name profile; otherwise to the profile page first."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        worker = worker_of(request.user)
        if worker is None:
            return redirect("applications:profile")
        request.worker = worker
        return view(request, *args, **kwargs)

    return wrapper


def error_messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]
