"""The worker's half of a password-reset request: only an existing account gets an email.

The request itself (`security.passwords.request_reset`) looks nothing up, so its work does
not depend on whether the address exists.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db import transaction

from security import audit, emails, tokens
from security.choices import TokenPurpose


@transaction.atomic
def send_reset(email: str, origin: dict) -> bool:
    """In the worker: queue the reset email if an active account has that address."""
    user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return False
    raw = tokens.issue(user, TokenPurpose.RESET_PASSWORD)
    link = emails.absolute(
        "security:password_reset_confirm", uidb64=tokens.uid_for(user), token=raw
    )
    emails.queue("password_reset", user.email, {"user": user, "link": link})
    source = SimpleNamespace(
        user=None,
        META={"REMOTE_ADDR": origin.get("ip"), "HTTP_USER_AGENT": origin.get("user_agent", "")},
    )
    audit.record(source, "auth.password_reset_requested", target=user, actor=None)
    return True
