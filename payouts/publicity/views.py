"""The public 公示 page: no login, masked names only, and an objection form."""

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_protect

from applications.throttle import client_ip, ip_digest, window_count
from applications.validators import validate_phone

from ..models import Publicity, PublicityStatus
from .selectors import publicity_public_rows
from .services import objection_submit

OBJECTIONS_PER_HOUR_PER_IP = 5
THROTTLE_SECONDS = 60 * 60


class ObjectionForm(forms.Form):
    token = forms.ChoiceField(label=gettext_lazy("异议对象"), choices=())
    contact_name = forms.CharField(label=gettext_lazy("您的姓名"), max_length=40)
    contact_phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=11)
    reason = forms.CharField(
        label=gettext_lazy("异议理由"), max_length=2000, min_length=10, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, tokens: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].choices = [("", "—"), *tokens.items()]

    def clean_contact_phone(self) -> str:
        return validate_phone(self.cleaned_data["contact_phone"])


def _throttle_key(request: HttpRequest, publicity_id: int) -> str:
    return f"objection:{publicity_id}:{ip_digest(client_ip(request))}"


def _throttled(key: str) -> bool:
    return (cache.get(key) or 0) >= OBJECTIONS_PER_HOUR_PER_IP


@csrf_protect
def publicity_public(request: HttpRequest, pk: int) -> HttpResponse:
    publicity = get_object_or_404(Publicity.objects.select_related("program", "batch"), pk=pk)
    rows = publicity_public_rows(publicity=publicity)
    now = timezone.now()
    accepting = publicity.status == PublicityStatus.OPEN and publicity.ends_at > now
    tokens = {r.token: f"{r.position}. {r.name}（{r.unit}）" for r in rows}
    form = ObjectionForm(tokens=tokens, initial={"token": request.GET.get("line", "")}) if accepting else None
    throttled = False
    if request.method == "POST" and accepting:
        key = _throttle_key(request, publicity.pk)
        throttled = _throttled(key)
        form = ObjectionForm(request.POST, tokens=tokens)
        if throttled:
            form.add_error(None, _("提交过于频繁，请一小时后再试。"))
        elif form.is_valid():
            try:
                objection_submit(publicity=publicity, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                window_count(key, seconds=THROTTLE_SECONDS)
                return redirect(f"{request.path}?submitted=1#objection")
    remaining = max(0, int((publicity.ends_at - now).total_seconds()))
    response = render(
        request,
        "payouts/publicity/public.html",
        {
            "publicity": publicity,
            "rows": rows,
            "form": form,
            "accepting": accepting,
            "submitted": request.GET.get("submitted") == "1",
            "remaining_days": remaining // 86400,
            "remaining_hours": remaining % 86400 // 3600,
            "remaining_minutes": remaining % 3600 // 60,
        },
        status=429 if throttled else 200,
    )
    # A public page of personal (if masked) data: not for shared caches or search engines.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
