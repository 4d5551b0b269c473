"""Login throttling by (account, client address) and by client address, in the shared cache,
in the database when the cache is down.

No failure count ever locks an account for everyone: at the opening of a first-come window
that would let a competitor keep a worker out with five wrong passwords. Instead:

- ``MAX_FAILURES_PER_PAIR`` failures of one account from one address stop password login
  for that pair only; from there the owner signs in with an SMS code (``/login/sms/``);
- ``MAX_FAILURES_PER_IP`` failures from one address (a spray over many accounts) stop
  password login from that address, SMS-code login still open (its sends are limited);
- ``MAX_FAILURES_PER_ACCOUNT`` failures from everywhere (a spread-out guess) make the
  account need an SMS code for everyone, which the owner has; at ``ALERT_AFTER`` failures
  the owner is told by SMS once per window.

The client address is ``REMOTE_ADDR`` unless ``settings.TRUSTED_PROXY_COUNT`` proxies we run
sit in front of us; then it is the address the outermost of them saw (the N-th entry from the
right of X-Forwarded-For). Entries further left are client-supplied and ignored, so a forged
header can neither reset the counter nor spread attempts over invented addresses.
"""

import hashlib
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from qiuxue.cache_guard import CACHE_DOWN, cache_call

from .models import ThrottleCount

MAX_FAILURES_PER_PAIR = 5
MAX_FAILURES_PER_IP = 20
MAX_FAILURES_PER_ACCOUNT = 50
ALERT_AFTER = 10
WINDOW_SECONDS = 15 * 60


class LoginGate(Enum):
    OPEN = "open"
    SMS_REQUIRED = "sms_required"


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if trusted <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < trusted:
        return remote
    return hops[-trusted]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def ip_digest(ip: str) -> str:
    """A client address as a key part: no raw address kept in the cache or the database."""
    return _digest(ip)


def _account_key(username: str) -> str:
    return f"login-fail:acct:{_digest(username.strip().lower())}"


def _ip_key(ip: str) -> str:
    return f"login-fail:ip:{ip_digest(ip)}"


def _pair_key(username: str, ip: str) -> str:
    return f"login-fail:pair:{_digest(username.strip().lower() + '|' + ip)}"


def _alert_key(username: str) -> str:
    return f"login-alert:{_digest(username.strip().lower())}"


# --- the store: cache first, database when the cache is down ---------------------------


def _db_get_many(keys: list[str]) -> dict[str, int]:
    rows = ThrottleCount.objects.filter(key__in=keys, expires_at__gt=timezone.now())
    return {row.key: row.count for row in rows}


def _db_add(key: str, seconds: int) -> bool:
    """Create the counter at 1 unless a live one exists; True if created."""
    now = timezone.now()
    with transaction.atomic():
        row = ThrottleCount.objects.select_for_update().filter(key=key).first()
        if row is None:
            try:
                with transaction.atomic():
                    ThrottleCount.objects.create(key=key, count=1, expires_at=now + timedelta(seconds=seconds))
                return True
            except IntegrityError:  # created by a racing request: count on it
                row = ThrottleCount.objects.select_for_update().get(key=key)
        if row.expires_at <= now:
            row.count, row.expires_at = 1, now + timedelta(seconds=seconds)
            row.save(update_fields=["count", "expires_at"])
            return True
        return False


def _db_incr(key: str, seconds: int) -> None:
    if not _db_add(key, seconds):
        ThrottleCount.objects.filter(key=key).update(count=F("count") + 1)


def counts_get(keys: list[str]) -> dict[str, int]:
    counts = cache_call(cache.get_many, keys)
    if counts is CACHE_DOWN:
        return _db_get_many(keys)
    return counts


def window_add(key: str, *, seconds: int = WINDOW_SECONDS) -> bool:
    """Set the key once per window; True the first time (e.g. 'owner already alerted')."""
    added = cache_call(cache.add, key, 1, seconds)
    if added is CACHE_DOWN:
        return _db_add(key, seconds)
    return bool(added)


def window_count(key: str, *, seconds: int = WINDOW_SECONDS) -> None:
    """Count one more event in a window that starts with the first one (login failures
    here, objections in payouts). add() is atomic: only the first creates the key."""
    added = cache_call(cache.add, key, 1, seconds)
    if added is CACHE_DOWN:
        _db_incr(key, seconds)
        return
    if not added:
        try:
            if cache_call(cache.incr, key) is CACHE_DOWN:
                _db_incr(key, seconds)
        except ValueError:  # expired between add and incr
            cache_call(cache.add, key, 1, seconds)


def _delete(key: str) -> None:
    cache_call(cache.delete, key)
    # A count written while the cache was down lives in the database: clear it too.
    ThrottleCount.objects.filter(key=key).delete()


# --- login -------------------------------------------------------------------------------


def login_gate(*, username: str, ip: str) -> LoginGate:
    keys = [_pair_key(username, ip), _ip_key(ip), _account_key(username)]
    counts = counts_get(keys)
    if (
        counts.get(keys[0], 0) >= MAX_FAILURES_PER_PAIR
        or counts.get(keys[1], 0) >= MAX_FAILURES_PER_IP
        or counts.get(keys[2], 0) >= MAX_FAILURES_PER_ACCOUNT
    ):
        return LoginGate.SMS_REQUIRED
    return LoginGate.OPEN


def login_locked(*, username: str, ip: str) -> bool:
    return login_gate(username=username, ip=ip) is not LoginGate.OPEN


def login_failure_record(*, username: str, ip: str) -> int:
    """Count one failure; returns the account's count in the window (for the owner alert)."""
    window_count(_pair_key(username, ip))
    window_count(_ip_key(ip))
    window_count(_account_key(username))
    return counts_get([_account_key(username)]).get(_account_key(username), 0)


def login_alert_due(*, username: str, failures: int) -> bool:
    """True once per window, when the account's failures reach ``ALERT_AFTER``."""
    return failures >= ALERT_AFTER and window_add(_alert_key(username))


def login_success_record(*, username: str, ip: str) -> None:
    # Only this pair is cleared: the address keeps its count (one good login cannot wipe a
    # spray against other accounts) and so does the account (a guesser elsewhere goes on).
    _delete(_pair_key(username, ip))


def login_sms_success_record(*, username: str, ip: str) -> None:
    """The owner proved the phone: clear what held password login back for them here."""
    _delete(_pair_key(username, ip))
    _delete(_account_key(username))
