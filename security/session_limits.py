"""How long a signed-in session lives: an idle timeout and an absolute lifetime, both shorter
for administrators. Times are kept in the session itself, so checking costs no query; the
last-activity stamp is rewritten at most every SECURITY_SESSION_TOUCH_SECONDS."""

from __future__ import annotations

import time

from django.conf import settings

STARTED = "security.started"
ACTIVE = "security.active"


def stamp(session, now: int | None = None) -> None:
    """A session just signed in: its lifetime and idle clock start now."""
    now = int(time.time()) if now is None else now
    session[STARTED] = session[ACTIVE] = now


def limits_for(user) -> tuple[int, int]:
    """(idle seconds, lifetime seconds) for USER."""
    if user.is_admin:
        return settings.SECURITY_ADMIN_IDLE_SECONDS, settings.SECURITY_ADMIN_LIFETIME_SECONDS
    return settings.SECURITY_IDLE_SECONDS, settings.SECURITY_SESSION_LIFETIME_SECONDS


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def check(request, now: int | None = None) -> str | None:
    """None while the session may go on (its stamps refreshed), else why it ended."""
    session = request.session
    now = int(time.time()) if now is None else now
    idle, lifetime = limits_for(request.user)
    started = session.setdefault(STARTED, now)
    active = session.setdefault(ACTIVE, now)
    if now - started > lifetime:
        return f"Sessions end after {_duration(lifetime)}. Log in again."
    if now - active > idle:
        return f"You were signed out after {_duration(idle)} without activity. Log in again."
    if now - active >= settings.SECURITY_SESSION_TOUCH_SECONDS:
        session[ACTIVE] = now
    return None
