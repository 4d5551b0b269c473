"""收款账户: the worker chooses the bank card or a channel the programmes pay through (an app
wallet, 数字人民币) and enters its account. A new account needs a fresh code to the phone,
like a new card: a stolen session alone must not redirect the money."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from quotas.models import PaymentChannel

from ..changes import payment_account_shown, pending_notice
from ..payment_accounts import worker_payment_account_save
from ..selectors import programs_for_worker, worker_change_pending_of, worker_money_is_held, worker_of
from .account import reauth_fresh, reauth_url, reauth_use

BANK = "bank"


class PaymentAccountForm(forms.Form):
    channel = forms.ChoiceField(label=_lazy("收款方式"), widget=forms.RadioSelect)
    account = forms.CharField(
        label=_lazy("收款账号"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_lazy("选择银行卡时无需填写；选择电子钱包时填写本人钱包的账号（只填数字）。"),
    )

    def __init__(self, *args, channels: list[PaymentChannel], card_masked: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.channels = {str(c.pk): c for c in channels}
        bank = _("本人银行卡（%(card)s）") % {"card": card_masked} if card_masked else _("本人银行卡")
        self.fields["channel"].choices = [
            (BANK, bank),
            *[
                (str(c.pk), f"{c.name}（{c.account_label}，{c.min_length}-{c.max_length}位数字）")
                if c.min_length != c.max_length
                else (str(c.pk), f"{c.name}（{c.account_label}，{c.min_length}位数字）")
                for c in channels
            ],
        ]

    def chosen(self) -> PaymentChannel | None:
        return self.channels.get(self.cleaned_data["channel"])


@login_required
def payment_account(request: HttpRequest) -> HttpResponse:
    worker = worker_of(request.user)
    if worker is None:
        messages.info(request, _("请先填写实名信息。"))
        return redirect("applications:profile")
    programs = programs_for_worker(worker=worker)
    channels = list(PaymentChannel.objects.filter(program__in=programs).select_related("program"))
    initial = {"channel": str(worker.payment_channel_id) if worker.payment_channel_id else BANK}
    form = PaymentAccountForm(
        request.POST or None, channels=channels, card_masked=worker.bank_card_masked, initial=initial
    )
    fresh = reauth_fresh(request)
    if request.method == "POST" and form.is_valid():
        channel = form.chosen()
        if channel is not None and not fresh:
            form.add_error("account", _("设置收款账号需要先验证本人手机：请点上方“获取验证码”，验证后再填写。"))
        else:
            try:
                saved = worker_payment_account_save(
                    user=request.user, channel=channel, account=form.cleaned_data["account"]
                )
            except ValidationError as exc:
                form.add_error("account", exc)
            else:
                if channel is not None:
                    reauth_use(request)
                if worker_change_pending_of(worker=saved) is not None and worker_money_is_held(worker=saved):
                    messages.warning(request, _("收款账户变更已提交所在工会核实，核实前补助暂缓发放。"))
                else:
                    messages.success(request, _("收款账户已保存。"))
                return redirect("applications:payment_account")
    return render(
        request,
        "applications/payment_account.html",
        {
            "form": form,
            "current": payment_account_shown(worker),
            "pending": pending_notice(worker_change_pending_of(worker=worker)),
            "has_channels": bool(channels),
            "reauth_fresh": fresh,
            "reauth_link": reauth_url(reverse("applications:payment_account")),
        },
    )
