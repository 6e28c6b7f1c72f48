"""Password reset by email and the aftermath of any password change."""

from __future__ import annotations

from django.db import transaction

from panel.errors import Unavailable
from security import audit, lockout, throttle, tokens, user_sessions
from security.choices import TokenPurpose
from security.exceptions import RateLimited
from security.tasks import send_password_reset


def request_reset(request, email: str) -> None:
    """Hand the request to a worker, whether or not an account has that address.

    The web request does the same work on both paths (throttle, one task enqueued, no
    query about the address), so neither its timing nor its queries tell them apart.
    """
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
    origin = {
        "ip": lockout.client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:512],
    }
    try:
        send_password_reset.apply_async((email, origin), retry=False)
    except Exception as exc:  # the broker is unreachable: say so, keep nothing half-done
        raise Unavailable(
            "Password reset is temporarily unavailable. Try again in a minute.", retry_after=60
        ) from exc


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
