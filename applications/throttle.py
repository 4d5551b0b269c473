"""Login throttling by account and by client address, in the shared cache.

The client address is ``REMOTE_ADDR`` unless ``settings.TRUSTED_PROXY_COUNT`` proxies we run
sit in front of us; then it is the address the outermost of them saw (the N-th entry from the
right of X-Forwarded-For). Entries further left are client-supplied and ignored, so a forged
header can neither reset the counter nor spread attempts over invented addresses.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 20
WINDOW_SECONDS = 15 * 60


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if trusted <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < trusted:
        return remote
    return hops[-trusted]


def _account_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"login-fail:acct:{digest}"


def ip_digest(ip: str) -> str:
    """A client address as a cache-key part: no raw address kept in the cache."""
    return hashlib.sha256(ip.encode()).hexdigest()[:32]


def _ip_key(ip: str) -> str:
    return f"login-fail:ip:{ip_digest(ip)}"


def login_locked(*, username: str, ip: str) -> bool:
    counts = cache.get_many([_account_key(username), _ip_key(ip)])
    return (
        counts.get(_account_key(username), 0) >= MAX_FAILURES_PER_ACCOUNT
        or counts.get(_ip_key(ip), 0) >= MAX_FAILURES_PER_IP
    )


def window_count(key: str, *, seconds: int = WINDOW_SECONDS) -> None:
    """Count one more event in a window that starts with the first one (login failures
    here, objections in payouts). add() is atomic: only the first creates the key."""
    if not cache.add(key, 1, seconds):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, seconds)


def login_failure_record(*, username: str, ip: str) -> None:
    window_count(_account_key(username))
    window_count(_ip_key(ip))


def login_success_record(*, username: str) -> None:
    # Only the account counter is cleared; the address keeps its count, so one good login
    # cannot wipe a spray of failures against other accounts from the same address.
    cache.delete(_account_key(username))
