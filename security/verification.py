"""Email verification: send, resend (rate-limited), confirm; and the guard for other apps.

Other apps use `require_verified_email` on views that create resources, or call
`ensure_verified(user)` in their services.
"""

from __future__ import annotations

from functools import wraps

from django.db import transaction
from django.shortcuts import render
from django.utils import timezone

from outbox.models import Message
from security import audit, emails, throttle, tokens
from security.choices import TokenPurpose
from security.exceptions import EmailNotVerified, RateLimited, TokenWrongUser

NOT_VERIFIED = "Confirm your email address before creating resources."


@transaction.atomic
def send_verification(user, *, actor=None, request=None) -> None:
    """Issue a token and queue the email with the link in the same transaction."""
    raw = tokens.issue(user, TokenPurpose.VERIFY_EMAIL)
    link = emails.absolute("security:verify_email", uidb64=tokens.uid_for(user), token=raw)
    emails.queue("verify_email", user.email, {"user": user, "link": link})
    audit.record(request or actor, "auth.verification_sent", target=user, email=user.email)


def resend_verification(request) -> None:
    user = request.user
    window, ident = throttle.emails(), f"verify:{user.pk}"
    wait = window.retry_after(ident)
    if wait:
        raise RateLimited(
            f"A verification email was sent recently. Try again in {throttle.minutes(wait)}.",
            retry_after=wait,
        )
    window.hit(ident)
    send_verification(user, request=request)


@transaction.atomic
def mark_verified(user, *, actor, request=None) -> bool:
    """An administrator vouches for the address (e.g. mail cannot reach it yet); audited."""
    if user.is_verified:
        return False
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    audit.record(
        request or actor, "auth.email_marked_verified", target=user, actor=actor, email=user.email
    )
    return True


def latest_email(user):
    """The newest verification email to the user's address (its outbox row), or None."""
    return Message.objects.latest_for("verify_email", user.email)


def check_link(request, uidb64: str, raw: str) -> None:
    """Raise TokenInvalid unless the link is live and, for a logged-in person, their own."""
    token = tokens.check(uidb64, raw, TokenPurpose.VERIFY_EMAIL)
    if request.user.is_authenticated and request.user.pk != token.user_id:
        raise TokenWrongUser()


@transaction.atomic
def confirm_email(request, uidb64: str, raw: str):
    """Mark the address verified; a logged-in person may only confirm their own."""
    check_link(request, uidb64, raw)
    user = tokens.consume(uidb64, raw, TokenPurpose.VERIFY_EMAIL)
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    audit.record(request, "auth.email_verified", target=user, actor=user, email=user.email)
    return user


def ensure_verified(user) -> None:
    """For services: raise EmailNotVerified (a PermissionDenied) for unverified users."""
    if not user.is_verified:
        raise EmailNotVerified()


def require_verified_email(view):
    """For every view that creates a resource: an unverified customer gets, instead of the
    form, a page saying why with the button that sends the email again (403, nothing done).

    The wrapped view is marked (`requires_verified_email`) so a test can check that every
    resource-creating URL carries the guard.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not user.is_admin and not user.is_verified:
            template = "security/_verify_required.html"
            if request.headers.get("HX-Request") != "true":
                template = "security/verify_required.html"
            return render(request, template, {"message": NOT_VERIFIED}, status=403)
        return view(request, *args, **kwargs)

    wrapper.requires_verified_email = True
    return wrapper
