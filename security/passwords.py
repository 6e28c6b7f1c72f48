"""Password reset by email and the aftermath of any password change."""

from __future__ import annotations

from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction

from security import audit, emails, lockout, throttle, tokens, user_sessions
from security.choices import TokenPurpose
from security.exceptions import RateLimited


def request_reset(request, email: str) -> None:
    """Email a reset link if an active account has that address; silent otherwise."""
    email = email.strip().lower()
    window = throttle.emails()
    idents = [f"reset:{email}", f"reset-ip:{lockout.client_ip(request)}"]
    wait = max(window.retry_after(ident) for ident in idents)
    if wait:
        raise RateLimited(
            f"Too many reset requests. Try again in {throttle.minutes(wait)}.", retry_after=wait
        )
    for ident in idents:
        window.hit(ident)
    user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if user is not None:
        _send_reset(request, user)


@transaction.atomic
def _send_reset(request, user) -> None:
    raw = tokens.issue(user, TokenPurpose.RESET_PASSWORD)
    link = emails.absolute(
        "security:password_reset_confirm", uidb64=tokens.uid_for(user), token=raw
    )
    context = {"user": user, "link": link}
    transaction.on_commit(partial(emails.send, "password_reset", user.email, context))
    audit.record(request, "auth.password_reset_requested", target=user, actor=None)


@transaction.atomic
def reset_password(request, uidb64: str, raw: str, new_password: str):
    """Set the new password, use up the token, end every session of the user."""
    user = tokens.consume(uidb64, raw, TokenPurpose.RESET_PASSWORD)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_sessions.revoke_other_sessions(
        user, keep_id=None, actor=user, request=request, reason="password reset"
    )
    lockout.record_login_success(user.email)
    audit.record(request, "auth.password_reset", target=user, actor=user)
    return user


@transaction.atomic
def after_password_change(request) -> None:
    """The session was re-keyed by Django; follow it and end all other sessions."""
    user_sessions.sync_key(request)
    user_sessions.revoke_other_sessions(
        request.user,
        keep_id=user_sessions.current_id(request),
        actor=request.user,
        request=request,
        reason="password changed",
    )
    audit.record(request, "auth.password_changed", target=request.user)
