"""Staff sign in with two factors: password, then a TOTP authenticator (django-otp).

- Every staff account (``is_staff`` or ``is_superuser``) must be verified
  by a TOTP code or a recovery code in its session before any page: managers and finance
  always, reviewers unless ``STAFF_OTP_REVIEWERS`` is off; ``STAFF_OTP_REQUIRED`` off (the
  demo only) switches the whole check off.
- On first sign-in the account enrols: a QR code and its secret, one code to confirm, then
  ten recovery codes printed once (``staff_otp_enrol``).
- A recovery code is single use and its use is audited (``staff_otp_recovery_use``).
- A lost phone: a manager of a union above resets the device (``staff_otp_reset``); the
  account enrols again at its next sign-in.

Workers are not staff: their pages never see this.
"""

import segno
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import AuditAction
from .models import AdminRole, CoFunderStaff, UnionAdmin
from .services import audit_log_write

RECOVERY_CODES = 10
DEVICE_NAME = "authenticator"
RECOVERY_NAME = "recovery"


def staff_otp_required(user: AbstractBaseUser) -> bool:
    # Every staff page needs is_staff (the admin, staff_member_required): a worker's page
    # costs no query here.
    if not getattr(settings, "STAFF_OTP_REQUIRED", True) or not (user.is_staff or user.is_superuser):
        return False
    # A union's staff or a co-funder's (a university's): the same rule by role.
    admin = (
        UnionAdmin.objects.filter(user=user).only("role").first()
        or CoFunderStaff.objects.filter(user=user).only("role").first()
    )
    if admin is not None and admin.role == AdminRole.REVIEWER and not user.is_superuser:
        return getattr(settings, "STAFF_OTP_REVIEWERS", True)
    return True


def staff_totp_device(user: AbstractBaseUser, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def staff_totp_pending(*, user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed device of an enrolment in progress (one per account; a reload of
    the page shows the same secret, so a code already scanned keeps working)."""
    device = staff_totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def totp_qr_data_uri(device: TOTPDevice) -> str:
    # An SVG data URI: the CSP allows images from data:, and no QR service is called.
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4)


def totp_secret_text(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def staff_otp_enrol(*, user: AbstractBaseUser, token: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the pending device with one code from the app; the recovery codes (to show
    once), or None if the code is wrong. Older devices of the account are removed."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None or not device.verify_token((token or "").strip()):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=user).delete()
        recovery = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=recovery, token=c) for c in codes])
        audit_log_write(actor=user, action=AuditAction.STAFF_OTP_ENROL, obj=user, detail={"device": device.name})
    return device, codes


def staff_otp_verify(*, user: AbstractBaseUser, token: str):
    """The device that accepts ``token``: the authenticator first, then a recovery code
    (used up, audited). None if neither does. django-otp throttles failures per device."""
    token = (token or "").strip().replace(" ", "")
    totp = staff_totp_device(user)
    if len(token) == 6 and token.isdigit():
        # An authenticator code; a recovery code is longer and never counts against the
        # authenticator's throttle.
        return totp if totp is not None and totp.verify_token(token) else None
    with transaction.atomic():
        recovery = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if recovery is not None and recovery.verify_token(token):
            left = recovery.token_set.count()
            audit_log_write(
                actor=user, action=AuditAction.STAFF_OTP_RECOVERY_USE, obj=user, detail={"recovery_codes_left": left}
            )
            return recovery
    return None


def staff_otp_may_reset(*, actor: AbstractBaseUser, target: UnionAdmin) -> bool:
    """A manager of a union strictly above the target's union (or a superuser)."""
    if actor.is_superuser:
        return True
    mine = UnionAdmin.objects.select_related("union").filter(user=actor).first()
    return (
        mine is not None
        and mine.role == AdminRole.MANAGER
        and target.union.path.startswith(mine.union.path)
        and target.union.path != mine.union.path
    )


def staff_otp_reset(*, actor: AbstractBaseUser, target: UnionAdmin) -> int:
    """Remove the target's authenticator and recovery codes; returns how many devices."""
    if not staff_otp_may_reset(actor=actor, target=target):
        raise PermissionDenied(_("只有上级工会的管理员可以重置该账号的双因素认证。"))
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=target.user).delete()[0]
        removed += StaticDevice.objects.filter(user=target.user).delete()[0]
        audit_log_write(
            actor=actor,
            action=AuditAction.STAFF_OTP_RESET,
            obj=target,
            detail={"account": target.user.get_username()},
        )
    return removed


def staff_otp_session_login(request, device) -> None:
    otp_login(request, device)


# --- enforcement -------------------------------------------------------------------------


def _exempt(path: str) -> bool:
    exempt = [
        reverse("staff_otp_setup"),
        reverse("staff_otp_verify"),
        reverse("admin:logout"),
        reverse("admin:login"),
        reverse("applications:logout"),
        settings.STATIC_URL,
        "/favicon.ico",
        "/robots.txt",
    ]
    return any(path.startswith(p) for p in exempt)


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


class StaffTwoFactorMiddleware:
    """After ``OTPMiddleware``: a staff session that has not passed its second factor
    reaches only the enrolment/verification pages and logout; everything else (the admin,
    the staff pages, exports, downloads) redirects there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not _exempt(request.path)
            and staff_otp_required(user)
        ):
            name = "staff_otp_verify" if staff_totp_device(user) is not None else "staff_otp_setup"
            return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
