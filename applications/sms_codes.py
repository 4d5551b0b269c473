"""SMS codes that prove a phone: registration, 忘记密码, SMS login, sensitive changes.

A code is 6 digits, valid ``CODE_TTL`` (5 minutes), at most ``MAX_ATTEMPTS`` (5) tries, used
once, and stored only as an HMAC keyed with the SECRET_KEY. Sending is limited per number
(one per ``MIN_INTERVAL``, ``MAX_PER_PHONE_HOUR`` an hour, ``MAX_PER_PHONE_DAY`` a day) and
per client address (``MAX_PER_IP_HOUR``), counted on the ``SmsCode`` rows themselves, so the
limits hold when Redis is down; sends to one number are serialised by a PostgreSQL advisory
lock, so two racing requests cannot both pass the interval check.

Register and reset answer the same for a registered and an unregistered number: one row and
one SMS either way; where no code can help (registering a known number, resetting an
unknown one) the SMS says so instead and the row holds no code, so every code typed fails.
"""

import hashlib
import hmac
import secrets
import zlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import SmsCode, SmsCodePurpose
from .sms import SmsError, SmsMessage, sms_backend
from .throttle import ip_digest
from .validators import validate_phone

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
MIN_INTERVAL = timedelta(seconds=60)
MAX_PER_PHONE_HOUR = 5
MAX_PER_PHONE_DAY = 10
MAX_PER_IP_HOUR = 20

P = SmsCodePurpose


class SmsSendRefused(ValidationError):
    """Too soon or too many; ``retry_after`` seconds until the next send may go."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, code="sms_throttled")
        self.retry_after = retry_after


@dataclass(frozen=True)
class SmsCodeSent:
    phone: str
    retry_after: int  # seconds until the button may send again
    demo_text: str  # the SMS text, shown on the page in the demo only (SMS_SHOW_ON_PAGE)


def _code_hash(*, phone: str, purpose: str, code: str) -> str:
    msg = f"sms-code|{purpose}|{phone}|{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), msg, hashlib.sha256).hexdigest()


def _lock_phone(phone: str) -> None:
    # Serialise the sends to one number (check the interval, then insert) across processes.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7301, zlib.crc32(phone.encode()) & 0x7FFFFFFF])


def _limits_check(*, phone: str, ip_key: str, now) -> None:
    recent = SmsCode.objects.filter(phone=phone, created_at__gt=now - timedelta(days=1)).order_by("-created_at")
    last = recent.first()
    if last is not None and now - last.created_at < MIN_INTERVAL:
        wait = int((MIN_INTERVAL - (now - last.created_at)).total_seconds()) + 1
        raise SmsSendRefused(_("发送太频繁，请%(s)d秒后再试。") % {"s": wait}, retry_after=wait)
    hour = [c.created_at for c in recent if c.created_at > now - timedelta(hours=1)]
    if len(hour) >= MAX_PER_PHONE_HOUR:
        wait = int((min(hour) + timedelta(hours=1) - now).total_seconds()) + 1
        raise SmsSendRefused(_("该手机号1小时内获取验证码次数已达上限，请稍后再试。"), retry_after=wait)
    if recent.count() >= MAX_PER_PHONE_DAY:
        raise SmsSendRefused(_("该手机号今天获取验证码次数已达上限，请明天再试。"), retry_after=3600)
    if SmsCode.objects.filter(ip_digest=ip_key, created_at__gt=now - timedelta(hours=1)).count() >= MAX_PER_IP_HOUR:
        raise SmsSendRefused(_("当前网络获取验证码次数过多，请1小时后再试。"), retry_after=3600)


def _registered(phone: str) -> bool:
    return get_user_model().objects.filter(username=phone).exists()


def _message_for(*, purpose: str, phone: str, user: AbstractBaseUser | None) -> str | None:
    """The template to send instead of a code, or None for a code."""
    if purpose == P.REGISTER and _registered(phone):
        return "registered"
    if purpose in (P.RESET, P.LOGIN) and not _registered(phone):
        return "not_registered"
    return None


def sms_code_send(*, phone: str, purpose: str, ip: str, user: AbstractBaseUser | None = None) -> SmsCodeSent:
    """Send a code (or the notice that replaces it) to ``phone``, within the limits.

    For ``reauth`` the phone is the signed-in user's own; for ``phone_new`` the number to
    move to, which must be free."""
    phone = validate_phone(phone)
    if purpose not in P.values:
        raise ValueError(purpose)
    if purpose in (P.REAUTH, P.PHONE_NEW) and user is None:
        raise ValueError("reauth and phone_new codes belong to a signed-in user")
    if purpose == P.PHONE_NEW and _registered(phone):
        raise ValidationError(_("该手机号已被其他账号使用。"))
    now = timezone.now()
    with transaction.atomic():
        _lock_phone(phone)
        _limits_check(phone=phone, ip_key=ip_digest(ip), now=now)
        notice = _message_for(purpose=purpose, phone=phone, user=user)
        if notice is None:
            code = f"{secrets.randbelow(10**6):06d}"
            message = SmsMessage(
                phone=phone, template="code", params={"code": code, "minutes": int(CODE_TTL.total_seconds() // 60)}
            )
            code_hash = _code_hash(phone=phone, purpose=purpose, code=code)
        else:
            message = SmsMessage(phone=phone, template=notice, params={})
            code_hash = ""
        row = SmsCode.objects.create(
            phone=phone,
            purpose=purpose,
            user=user,
            code_hash=code_hash,
            ip_digest=ip_digest(ip),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    backend = sms_backend()
    try:
        if backend is not None:
            backend.send_message(message)
    except SmsError:
        # Not sent: the row must not hold the interval against a retry.
        SmsCode.objects.filter(pk=row.pk).delete()
        raise ValidationError(_("短信发送失败，请稍后再试。")) from None
    return SmsCodeSent(
        phone=phone,
        retry_after=int(MIN_INTERVAL.total_seconds()),
        demo_text=message.text if getattr(settings, "SMS_SHOW_ON_PAGE", False) else "",
    )


def sms_code_take(*, phone: str, purpose: str, code: str, user: AbstractBaseUser | None = None) -> SmsCode | None:
    """Use up the latest code for (phone, purpose) if ``code`` is it; None otherwise.

    Call inside the caller's transaction, so the code is used only if the caller's write
    lands; a wrong code costs one try, written even though the caller's transaction then
    ends in a refusal: callers return on None (commit) and raise after the block."""
    code = (code or "").strip()
    now = timezone.now()
    row = (
        SmsCode.objects.select_for_update()
        .filter(phone=phone, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    if row is None or row.attempts >= MAX_ATTEMPTS:
        return None
    if user is not None and row.user_id != user.pk:
        return None
    row.attempts += 1
    ok = bool(row.code_hash) and hmac.compare_digest(row.code_hash, _code_hash(phone=phone, purpose=purpose, code=code))
    if ok:
        row.used_at = now
    row.save(update_fields=["attempts", "used_at"])
    return row if ok else None


def code_refused() -> ValidationError:
    return ValidationError(_("验证码不正确或已失效，请重新获取。"), code="sms_code")
