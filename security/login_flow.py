"""The two-step login: password first, then a code when the user has 2FA."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django_otp import DEVICE_ID_SESSION_KEY

from security import audit
from security.models import BackupCodeDevice

PENDING = "security.pending_login"


def begin(request, user, next_url: str) -> None:
    """Password accepted: remember who is half-way in (not logged in yet), on a fresh key."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "since": int(time.time()),
        "next": next_url,
    }


def pending(request):
    """(user, backend, next_url) of a password-verified login still waiting, or None."""
    data = request.session.get(PENDING)
    if not data or time.time() - data["since"] > settings.SECURITY_PENDING_LOGIN_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = get_user_model().objects.filter(pk=data["user"], is_active=True).first()
    if user is None:
        return None
    return user, data["backend"], data["next"]


def complete(request, user, backend: str, device) -> None:
    """Second factor accepted: log in (new session key), mark the session verified."""
    request.session.pop(PENDING, None)
    auth_login(request, user, backend=backend)
    request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    is_backup = isinstance(device, BackupCodeDevice)
    method = "backup_code" if is_backup else "totp"
    audit.record(request, "auth.login_succeeded", target=user, method=method)
    if is_backup:
        remaining = device.remaining()
        audit.record(request, "auth.backup_code_used", target=user, remaining=remaining)
        level = messages.WARNING if remaining <= 2 else messages.INFO
        messages.add_message(
            request, level, f"You used a backup code; {remaining} remain. Regenerate them soon."
        )
