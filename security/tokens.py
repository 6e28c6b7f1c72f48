"""One-time emailed tokens: 32 random bytes, URL-safe; the database keeps only the SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from security.exceptions import TokenExpired, TokenInvalid, TokenUsed
from security.models import EmailToken


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def uid_for(user) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def issue(user, purpose: str) -> str:
    """A new token for `user`; earlier unused tokens of the same purpose stop working."""
    EmailToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True).delete()
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    EmailToken.objects.create(
        user=user,
        purpose=purpose,
        token_hash=token_hash(raw),
        created_at=now,
        expires_at=now + timedelta(hours=settings.SECURITY_TOKEN_HOURS),
    )
    return raw


def _user_id(uidb64: str) -> int | None:
    try:
        return int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None


def check(uidb64: str, raw: str, purpose: str, *, lock: bool = False) -> EmailToken:
    """The token row if `raw` is a live token of that user for that purpose, else raise.

    A token of another user, a tampered token or an unknown one are all "invalid".
    """
    user_id = _user_id(uidb64)
    if user_id is None or len(raw) > 100:
        raise TokenInvalid()
    rows = EmailToken.objects.select_related("user")
    if lock:
        rows = rows.select_for_update(of=("self",))
    token = rows.filter(user_id=user_id, purpose=purpose, token_hash=token_hash(raw)).first()
    if token is None or not token.user.is_active:
        raise TokenInvalid()
    if token.used_at is not None:
        raise TokenUsed()
    if token.expires_at <= timezone.now():
        raise TokenExpired()
    return token


def consume(uidb64: str, raw: str, purpose: str):
    """Check and mark used (call inside a transaction); returns the user."""
    token = check(uidb64, raw, purpose, lock=True)
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    return token.user


def user_model():
    return get_user_model()
