from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect

from ..selectors import application_get_for_user, worker_of


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


def own_application_required(view):
    """For the ``applications/<pk>/…`` pages: the worker's own application, read once with
    its worker (``request.worker = app.worker``) and passed to the view instead of ``pk``.

    Same answers as ``worker_required`` + ``application_get_for_user``, one query fewer on
    every page (the submit at window open included): no profile yet → the profile page;
    another worker's id → 404.
    """

    @login_required
    @wraps(view)
    def wrapper(request, pk, *args, **kwargs):
        try:
            app = application_get_for_user(user=request.user, pk=pk)
        except Http404:
            if worker_of(request.user) is None:
                return redirect("applications:profile")
            raise
        request.worker = app.worker
        return view(request, app, *args, **kwargs)

    return wrapper


def error_messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]
