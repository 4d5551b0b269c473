"""The account the worker is paid to: the bank card (always), or another channel the
programme pays through (``quotas.PaymentChannel``: an app wallet such as 齐鲁工惠APP 我的钱包,
a 数字人民币 wallet id).

Linyi: "本人银行卡或齐鲁工惠APP我的钱包电子账号". The account is validated as far as its
format is known (digits, the channel's lengths), stored like the card (Fernet ciphertext,
HMAC index, mask) and, once the worker has approved money, held for review like a card
change (``changes.worker_change_stage``): until confirmed the money waits and the lists
keep the confirmed account.
"""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from qiuxue.crypto import encrypt_text, hmac_index
from qiuxue.masking import mask_bank_card
from quotas.audit import AuditAction
from quotas.models import PaymentChannel, Program
from quotas.services import audit_log_write

from .changes import PAYMENT_FIELDS, payment_account_shown, worker_change_stage
from .models import Worker
from .selectors import worker_money_is_held
from .validators import _not_ascii_digits, number_normalise


def validate_payment_account(*, channel: PaymentChannel, value: str) -> str:
    account = number_normalise(value or "")
    if not account:
        raise ValidationError(_("请填写%(label)s。") % {"label": channel.account_label})
    if _not_ascii_digits(account) or not account.isdigit():
        raise ValidationError(_("%(label)s只能使用数字0-9。") % {"label": channel.account_label})
    if not channel.min_length <= len(account) <= channel.max_length:
        if channel.min_length == channel.max_length:
            length = _("%(n)s位") % {"n": channel.min_length}
        else:
            length = _("%(a)s至%(b)s位") % {"a": channel.min_length, "b": channel.max_length}
        raise ValidationError(
            _("%(channel)s的%(label)s应为%(length)s数字。")
            % {"channel": channel.name, "label": channel.account_label, "length": length}
        )
    return account


def _payment_values(channel: PaymentChannel | None, account: str) -> dict:
    if channel is None:
        return dict.fromkeys(PAYMENT_FIELDS, "") | {"payment_channel": None}
    return {
        "payment_channel": channel,
        "payment_account_encrypted": encrypt_text(account),
        "payment_account_hmac": hmac_index(account),
        "payment_account_masked": mask_bank_card(account),
    }


@dataclass(frozen=True)
class _Keep:
    """The worker's current (pending, else confirmed) held values, for a change of the
    payment account alone."""

    name: str
    employer: str
    union: object
    bank_name: str


def worker_payment_account_save(*, user: AbstractBaseUser, channel: PaymentChannel | None, account: str = "") -> Worker:
    """Choose the bank card (``channel=None``) or a channel with its account. After
    approval the choice waits for review (a ``WorkerChange`` of ``payment_account``)."""
    account = validate_payment_account(channel=channel, value=account) if channel is not None else ""
    with transaction.atomic():
        worker = Worker.objects.select_for_update().get(user=user)
        values = _payment_values(channel, account)
        before = payment_account_shown(worker)
        if worker_money_is_held(worker=worker):
            pending = worker.changes.filter(status="pending").select_related("union").first()
            keep = pending or worker
            data = _Keep(name=keep.name, employer=keep.employer, union=keep.union, bank_name=keep.bank_name)
            card = ""  # keep the card as it is (pending or confirmed)
            worker_change_stage(worker=worker, data=data, card=card, actor=user, payment=values)
            held = True
        else:
            for f, v in values.items():
                setattr(worker, f, v)
            worker.save(update_fields=[*PAYMENT_FIELDS, "updated_at"])
            held = False
        audit_log_write(
            actor=user,
            action=AuditAction.WORKER_PAYMENT_ACCOUNT_SAVE,
            obj=worker,
            detail={"before": before, "after": payment_account_shown_values(values), "held": held},
        )
    return worker


def payment_account_shown_values(values: dict) -> str:
    channel = values["payment_channel"]
    return _("本人银行卡") if channel is None else f"{channel.name} {values['payment_account_masked']}"


@dataclass(frozen=True)
class PaymentAccount:
    """Where a payout line sends the money: the channel (None = bank card), the name shown
    in the 开户银行/渠道 column, and the number (encrypted, index, mask)."""

    channel: PaymentChannel | None
    bank_name: str

    @property
    def channel_id(self) -> int | None:
        return self.channel.pk if self.channel is not None else None

    encrypted: str
    hmac: str
    masked: str


def payment_account_of(*, worker: Worker, program: Program) -> PaymentAccount:
    """The confirmed account for this programme's money: the chosen channel when it is one
    of this programme's, else the bank card."""
    channel = worker.payment_channel
    if channel is not None and channel.program_id == program.pk and worker.payment_account_encrypted:
        return PaymentAccount(
            channel,
            channel.name,
            worker.payment_account_encrypted,
            worker.payment_account_hmac,
            worker.payment_account_masked,
        )
    return PaymentAccount(
        None, worker.bank_name, worker.bank_card_encrypted, worker.bank_card_hmac, worker.bank_card_masked
    )
