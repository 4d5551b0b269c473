"""Pages anyone may read without an account: the help page (常见问题). The home page's
public list is in ``apply.home``; both read ``applications.listing``."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..listing import program_contact_lines, programs_for_help, public_programs


def help_page(request: HttpRequest) -> HttpResponse:
    contacts = [{"program": p, "lines": program_contact_lines(program=p)} for p in programs_for_help()]
    return render(
        request,
        "applications/help.html",
        {"contacts": contacts, "open_programs": public_programs()},
    )
