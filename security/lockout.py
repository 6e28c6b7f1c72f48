"""Brute-force protection for the password step: per account and per IP, sliding window."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from panel.client_ip import client_ip as panel_client_ip
from security import audit, throttle
from security.exceptions import RateLimited

LOCKED_MESSAGE = "Too many failed login attempts. Try again in {wait}."


def client_ip(request) -> str:
    return panel_client_ip(request) or "unknown"


def _windows(request, email: str):
    return [
        ("account", throttle.login_by_account(), email.strip().lower()),
        ("ip", throttle.login_by_ip(), client_ip(request)),
    ]


def check_login_allowed(request, email: str) -> None:
    """Refuse while either counter is at its limit; the same words whether the account exists."""
    waits = [window.retry_after(ident) for _, window, ident in _windows(request, email)]
    wait = max(waits)
    if wait > 0:
        raise RateLimited(LOCKED_MESSAGE.format(wait=throttle.minutes(wait)), retry_after=wait)


def record_login_failure(request, email: str) -> None:
    """Count a failure; the attempt that reaches a limit writes an `auth.locked_out` event."""
    for scope, window, ident in _windows(request, email):
        if window.hit(ident) == window.limit:
            # An IP lockout concerns no account (it would land in a customer's timeline).
            user = _user(email) if scope == "account" else None
            audit.record(
                request,
                "auth.locked_out",
                target=user,
                target_label=email[:254] if scope == "account" else client_ip(request),
                actor=None,
                scope=scope,
                failures=window.limit,
                window_seconds=window.window,
            )


def _user(email: str):
    return get_user_model().objects.filter(email__iexact=email.strip()).first()


def record_login_success(email: str) -> None:
    """A successful login clears the account's counter (the IP's stays)."""
    throttle.login_by_account().reset(email)
