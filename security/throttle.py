"""Sliding-window counters in Redis: failed logins, wrong codes, emails asked for.

Each counter is a sorted set of hit timestamps; a check drops the hits older than the
window and counts the rest, so the limit always applies to the last `window` seconds.

Without Redis the counters fail closed: a limit that cannot be checked is not skipped
(that would open login to brute force during an outage). Every use raises
`CountersUnavailable`, a 503 "temporarily unavailable" answer with Retry-After, never a
traceback; the pages come back by themselves once Redis answers again.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from functools import wraps

import redis
from django.conf import settings

from panel import redis_client
from panel.errors import Unavailable

RETRY_AFTER = 30


class CountersUnavailable(Unavailable):
    code = "throttle_unavailable"
    default_message = (
        "Signing in and emailed links are temporarily unavailable. Try again in a minute."
    )


def _client() -> redis.Redis:
    return redis_client.client(settings.SECURITY_REDIS_URL)


def _fail_closed(method):
    @wraps(method)
    def guarded(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except redis.RedisError as exc:
            raise CountersUnavailable(retry_after=RETRY_AFTER) from exc

    return guarded


def _prefix() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', 'hearth')}:throttle"


class SlidingWindow:
    def __init__(self, scope: str, limit: int, window: int):
        self.scope, self.limit, self.window = scope, limit, window

    def _key(self, ident: str) -> str:
        # Hashed: the keys never show an email address or IP in clear.
        digest = hashlib.sha256(ident.strip().lower().encode()).hexdigest()[:40]
        return f"{_prefix()}:{self.scope}:{digest}"

    def _trim(self, pipe, key: str, now: float) -> None:
        pipe.zremrangebyscore(key, 0, now - self.window)

    @_fail_closed
    def hit(self, ident: str) -> int:
        """Count one more event; return how many fall in the window now."""
        now, key = time.time(), self._key(ident)
        with _client().pipeline(transaction=True) as pipe:
            self._trim(pipe, key, now)
            pipe.zadd(key, {f"{now:.6f}-{secrets.token_hex(4)}": now})
            pipe.zcard(key)
            pipe.expire(key, self.window)
            _, _, count, _ = pipe.execute()
        return int(count)

    @_fail_closed
    def count(self, ident: str) -> int:
        now, key = time.time(), self._key(ident)
        with _client().pipeline(transaction=True) as pipe:
            self._trim(pipe, key, now)
            pipe.zcard(key)
            _, count = pipe.execute()
        return int(count)

    def blocked(self, ident: str) -> bool:
        return self.count(ident) >= self.limit

    @_fail_closed
    def retry_after(self, ident: str) -> int:
        """Seconds until the oldest hit that keeps the counter at its limit leaves the window."""
        key = self._key(ident)
        hits = _client().zrange(key, 0, -1, withscores=True)
        if len(hits) < self.limit:
            return 0
        oldest_that_matters = hits[len(hits) - self.limit][1]
        return max(1, math.ceil(oldest_that_matters + self.window - time.time()))

    @_fail_closed
    def reset(self, ident: str) -> None:
        _client().delete(self._key(ident))


def login_by_account() -> SlidingWindow:
    return SlidingWindow(
        "login-account", settings.SECURITY_LOCKOUT_ACCOUNT_LIMIT, settings.SECURITY_LOCKOUT_WINDOW
    )


def login_by_ip() -> SlidingWindow:
    return SlidingWindow(
        "login-ip", settings.SECURITY_LOCKOUT_IP_LIMIT, settings.SECURITY_LOCKOUT_WINDOW
    )


def second_factor() -> SlidingWindow:
    return SlidingWindow("otp", settings.SECURITY_OTP_LIMIT, settings.SECURITY_LOCKOUT_WINDOW)


def emails() -> SlidingWindow:
    return SlidingWindow("email", settings.SECURITY_EMAIL_LIMIT, settings.SECURITY_EMAIL_WINDOW)


def clear_all() -> None:
    """Drop every counter (tests, and an operator's escape hatch)."""
    client = _client()
    for key in client.scan_iter(match=f"{_prefix()}:*", count=500):
        client.delete(key)


def minutes(seconds: int) -> str:
    value = max(1, math.ceil(seconds / 60))
    return f"{value} minute{'s' if value != 1 else ''}"
