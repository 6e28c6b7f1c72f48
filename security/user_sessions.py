"""Tracked sessions: one row per login, shown to the user and revocable."""

from __future__ import annotations

import time
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from ua_parser import parse as parse_user_agent

from panel.client_ip import client_ip
from security import audit, session_limits
from security.models import UserSession, session_key_digest

SESSION_ID = "security.session_id"
SESSION_SEEN = "security.seen"


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def describe_user_agent(value: str) -> dict[str, str]:
    """Browser, OS and device for display (ua-parser, the uap-core reference rules)."""
    if not value:
        return {"browser": "", "os": "", "device": ""}
    result = parse_user_agent(value)
    browser = result.user_agent
    system = result.os
    return {
        "browser": " ".join(filter(None, [browser.family, browser.major])) if browser else "",
        "os": " ".join(filter(None, [system.family, system.major])) if system else "",
        "device": result.device.family if result.device else "",
    }


def track_login(request, user) -> UserSession:
    """Record the login that just happened on `request` (its session key is fresh)."""
    if request.session.session_key is None:
        request.session.save()
    agent = request.META.get("HTTP_USER_AGENT", "")[:512]
    described = {key: value[:100] for key, value in describe_user_agent(agent).items()}
    earlier = UserSession.objects.filter(user=user)
    new_device = earlier.exists() and not earlier.filter(**described).exists()
    tracked = UserSession.objects.create(
        user=user,
        session_key_hash=session_key_digest(request.session.session_key),
        ip=client_ip(request),
        user_agent=agent,
        **described,
    )
    if new_device:
        # Shown on the person's dashboard: a sign-in from a browser/system not seen before.
        audit.record(request, "auth.new_device", target=user, actor=user, browser=str(tracked))
    request.session[SESSION_ID] = tracked.pk
    request.session[SESSION_SEEN] = int(time.time())
    session_limits.stamp(request.session)
    return tracked


def rotate_key(request) -> None:
    """Give the session a new key (privilege change) and keep its tracked row pointing at it."""
    request.session.cycle_key()
    sync_key(request)


def sync_key(request) -> None:
    """After something else cycled the key (e.g. a password change), follow it."""
    tracked_id = request.session.get(SESSION_ID)
    if tracked_id is not None:
        UserSession.objects.filter(pk=tracked_id).update(
            session_key_hash=session_key_digest(request.session.session_key)
        )


def touch(request) -> bool:
    """Note activity at most once per interval; False when the session was revoked."""
    tracked_id = request.session.get(SESSION_ID)
    if tracked_id is None:
        return True
    now = int(time.time())
    if now - request.session.get(SESSION_SEEN, 0) < settings.SECURITY_SESSION_TOUCH_SECONDS:
        return True
    alive = UserSession.objects.active().filter(
        pk=tracked_id, session_key_hash=session_key_digest(request.session.session_key)
    )
    if alive.update(last_activity=timezone.now()) == 0:
        return False
    request.session[SESSION_SEEN] = now
    return True


def current_id(request) -> int | None:
    return request.session.get(SESSION_ID)


def _kill(tracked: UserSession) -> None:
    tracked.revoked_at = timezone.now()
    tracked.save(update_fields=["revoked_at"])
    # Removing it from the session store makes the very next request anonymous.
    _store().delete_digest(tracked.session_key_hash)


@transaction.atomic
def revoke_session(tracked: UserSession, *, actor, request=None) -> None:
    if tracked.revoked_at is not None:
        return
    _kill(tracked)
    audit.record(
        request or actor,
        "auth.session_revoked",
        actor=actor,
        target=tracked.user,
        session=tracked.pk,
        browser=str(tracked),
        session_ip=tracked.ip,
    )


@transaction.atomic
def revoke_other_sessions(user, *, keep_id: int | None, actor, request=None, reason: str) -> int:
    """End every session of `user` except `keep_id`; one audit event for the lot."""
    others = UserSession.objects.active().filter(user=user).exclude(pk=keep_id)
    count = 0
    for tracked in others.select_for_update():
        _kill(tracked)
        count += 1
    if count:
        audit.record(
            request or actor,
            "auth.session_revoked",
            actor=actor,
            target=user,
            sessions=count,
            reason=reason,
        )
    return count


@transaction.atomic
def prune(*, keep_days: int = 30) -> int:
    """Forget sessions that ended (revoked, logged out or expired) more than `keep_days` ago."""
    horizon = timezone.now() - timedelta(days=keep_days)
    ended = UserSession.objects.filter(revoked_at__lt=horizon)
    expired = UserSession.objects.filter(
        last_activity__lt=horizon - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    )
    deleted, _ = (ended | expired).delete()
    return deleted


@transaction.atomic
def end_session(request) -> None:
    """The user logged out: the tracked row is closed with the session."""
    tracked_id = request.session.get(SESSION_ID)
    if tracked_id is not None:
        UserSession.objects.filter(pk=tracked_id).update(revoked_at=timezone.now())
