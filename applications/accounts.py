"""Account writes that a proven phone unlocks: register, reset, SMS login, new password,
new phone. Keyword-only, one transaction each, audited in it; the SMS code is used up in
the same transaction as the write it allows (``sms_codes.sms_code_take``)."""

import contextlib

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from qiuxue.masking import mask_phone
from quotas.audit import AuditAction
from quotas.services import audit_log_write

from . import throttle
from .models import SmsCodePurpose, Worker
from .sms import SmsError, SmsMessage, sms_backend
from .sms_codes import code_refused, sms_code_take
from .validators import validate_phone

P = SmsCodePurpose


def account_register(*, phone: str, code: str, password: str) -> AbstractBaseUser:
    """A login whose username is the proven mobile number; the password hashed by Django."""
    phone = validate_phone(phone)
    User = get_user_model()
    with transaction.atomic():
        taken = sms_code_take(phone=phone, purpose=P.REGISTER, code=code)
        if taken is not None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(username=phone, password=password)
            except IntegrityError:
                # Registered by a racing request: answer as for any wrong code, so this
                # step tells nothing about the number either.
                user = None
            else:
                audit_log_write(actor=user, action=AuditAction.ACCOUNT_REGISTER, obj=user, detail={})
    if taken is None or user is None:
        raise code_refused()
    return user


def account_password_reset(*, phone: str, code: str, password: str) -> AbstractBaseUser:
    """忘记密码: a new password for the number's account. Every session of it ends (the
    session hash follows the password) and the failures that held it back are cleared."""
    phone = validate_phone(phone)
    with transaction.atomic():
        taken = sms_code_take(phone=phone, purpose=P.RESET, code=code)
        user = get_user_model().objects.select_for_update().filter(username=phone).first() if taken else None
        if user is not None:
            user.set_password(password)
            user.save(update_fields=["password"])
            audit_log_write(actor=user, action=AuditAction.ACCOUNT_PASSWORD_RESET, obj=user, detail={})
    if user is None:
        raise code_refused()
    return user


def account_sms_login(*, phone: str, code: str, ip: str) -> AbstractBaseUser:
    """Sign in with a code sent to the phone: open even when password login is held back
    for this account or address, so the owner is never locked out."""
    phone = validate_phone(phone)
    with transaction.atomic():
        taken = sms_code_take(phone=phone, purpose=P.LOGIN, code=code)
        user = get_user_model().objects.filter(username=phone, is_active=True).first() if taken else None
        if user is not None:
            audit_log_write(actor=user, action=AuditAction.ACCOUNT_SMS_LOGIN, obj=user, detail={})
    if user is None:
        raise code_refused()
    throttle.login_sms_success_record(username=phone, ip=ip)
    return user


def account_reauth_verify(*, user: AbstractBaseUser, code: str) -> None:
    """The signed-in user typed the code sent to their current phone (before a sensitive
    change). Uses the code up; the caller marks the session."""
    with transaction.atomic():
        taken = sms_code_take(phone=account_phone_of(user), purpose=P.REAUTH, code=code, user=user)
    if taken is None:
        raise code_refused()


def account_password_change(*, user: AbstractBaseUser, password: str) -> AbstractBaseUser:
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_log_write(actor=user, action=AuditAction.ACCOUNT_PASSWORD_CHANGE, obj=user, detail={})
    return user


def account_phone_change(*, user: AbstractBaseUser, new_phone: str, code: str) -> AbstractBaseUser:
    """Move the account to a new number, proven by a code sent to it. The login name and
    the worker's contact number change together."""
    new_phone = validate_phone(new_phone)
    old = account_phone_of(user)
    with transaction.atomic():
        taken = sms_code_take(phone=new_phone, purpose=P.PHONE_NEW, code=code, user=user)
        if taken is not None:
            User = get_user_model()
            if User.objects.filter(username=new_phone).exclude(pk=user.pk).exists():
                raise ValidationError(_("该手机号已被其他账号使用。"))
            user.username = new_phone
            user.save(update_fields=["username"])
            Worker.objects.filter(user=user).update(phone=new_phone)
            audit_log_write(
                actor=user,
                action=AuditAction.ACCOUNT_PHONE_CHANGE,
                obj=user,
                detail={"before": mask_phone(old), "after": mask_phone(new_phone)},
            )
    if taken is None:
        raise code_refused()
    return user


def account_phone_of(user: AbstractBaseUser) -> str:
    worker = Worker.objects.filter(user=user).only("phone").first()
    return worker.phone if worker else user.get_username()


def account_login_failure_note(*, username: str, ip: str) -> None:
    """Count a failed password; past ``ALERT_AFTER`` the owner is told by SMS, once a window."""
    failures = throttle.login_failure_record(username=username, ip=ip)
    if not throttle.login_alert_due(username=username, failures=failures):
        return
    worker = Worker.objects.filter(user__username=username).only("phone").first()
    backend = sms_backend()
    if worker is None or backend is None:
        return  # staff names are not numbers: staff have their authenticator instead
    # An alert lost is better than a login page that fails with the gateway.
    with contextlib.suppress(SmsError):
        backend.send_message(SmsMessage(phone=worker.phone, template="login_alert", params={"count": failures}))
