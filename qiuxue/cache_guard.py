"""The shared cache (Redis) may die; the site must not.

``cache_call(fn, *args)`` runs one cache operation and answers ``CACHE_DOWN`` instead of
raising when the cache cannot be reached; the callers (sessions, login throttle) then use
the database. After a failure the cache is skipped for ``RETRY_SECONDS`` (every request
would otherwise wait for its own refused connection), and the outage is logged at most once
a minute per process, not per request: a dead Redis at window open must not flood the log.
"""

import logging
import threading
import time

logger = logging.getLogger("qiuxue.cache")

RETRY_SECONDS = 5.0
LOG_EVERY_SECONDS = 60.0

CACHE_DOWN = object()

_state = {"down_until": 0.0, "logged_at": -LOG_EVERY_SECONDS, "suppressed": 0}
_lock = threading.Lock()


def _errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError, OSError]
    try:
        import redis.exceptions

        errors.append(redis.exceptions.RedisError)
    except ImportError:  # no redis client installed: a local-memory cache does not fail
        pass
    return tuple(errors)


CACHE_ERRORS = _errors()


def cache_is_down() -> bool:
    return time.monotonic() < _state["down_until"]


def cache_outage_record(exc: BaseException) -> None:
    now = time.monotonic()
    with _lock:
        _state["down_until"] = now + RETRY_SECONDS
        if now - _state["logged_at"] >= LOG_EVERY_SECONDS:
            suppressed, _state["suppressed"] = _state["suppressed"], 0
            _state["logged_at"] = now
        else:
            _state["suppressed"] += 1
            return
    logger.error(
        "缓存（Redis）不可用，会话与登录限制改用数据库：%s（此前一分钟内另有 %d 次失败未记录）", exc, suppressed
    )


def cache_call(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, or ``CACHE_DOWN`` when the cache is unreachable."""
    if cache_is_down():
        return CACHE_DOWN
    try:
        return fn(*args, **kwargs)
    except CACHE_ERRORS as exc:
        cache_outage_record(exc)
        return CACHE_DOWN


def cache_guard_reset() -> None:
    """Forget a past outage (tests start each case with a reachable cache)."""
    with _lock:
        _state.update(down_until=0.0, logged_at=-LOG_EVERY_SECONDS, suppressed=0)
