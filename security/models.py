"""The append-only audit log, second-factor devices, emailed tokens and tracked sessions."""

from __future__ import annotations

import hashlib
import secrets
import time
from base64 import b32encode
from datetime import timedelta
from importlib import import_module
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.postgres.indexes import GinIndex
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from panel import field_crypto
from security.choices import TokenPurpose


class AuditEventQuerySet(models.QuerySet):
    def for_user(self, user) -> AuditEventQuerySet:
        """Admins see every event; a customer sees those of their own hosting account."""
        if not user.is_authenticated:
            return self.none()
        if user.is_admin:
            return self
        account = getattr(user, "hosting_account", None)
        if account is None:
            return self.filter(actor=user)
        return self.filter(models.Q(account_id=account.pk) | models.Q(actor=user))


class AuditEvent(models.Model):
    """One thing that happened. Rows are never updated or deleted (a trigger enforces it)."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # No database constraint and no cascade: deleting a user must not touch events.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=50, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    # The hosting account the event concerns, so customers can see their own history.
    account_id = models.BigIntegerField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["action", "-created_at"], name="audit_action_idx"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["account_id", "-created_at"], name="audit_account_idx"),
            GinIndex(fields=["details"], name="audit_details_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit events are append-only")


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (RFC 6238: SHA-1, 30 s steps, 6 digits, one step of drift).

    The shared secret is kept encrypted with the panel's field key (`panel.field_crypto`), so a
    dump of the database does not hand out second factors.
    """

    key_encrypted = models.TextField()
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    # The step of the last accepted code: only later steps are accepted (no replay).
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "TOTP device"

    def save(self, *args, **kwargs):
        if not self.key_encrypted:
            self.set_secret(secrets.token_bytes(20))
        super().save(*args, **kwargs)

    def set_secret(self, secret: bytes) -> None:
        self.key_encrypted = field_crypto.encrypt_bytes(secret)

    @property
    def bin_key(self) -> bytes:
        return field_crypto.decrypt_bytes(self.key_encrypted, what="Authenticator secrets")

    def get_throttle_factor(self) -> int:
        return settings.OTP_TOTP_THROTTLE_FACTOR

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        try:
            accepted = totp.verify(int(token), self.tolerance, self.last_t + 1)
        except (TypeError, ValueError):
            accepted = False
        if not accepted:
            self.throttle_increment(commit=True)
            return False
        self.last_t, self.drift = totp.t(), totp.drift
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True

    @property
    def config_url(self) -> str:
        """The otpauth:// URI authenticator apps read from the QR code."""
        issuer = settings.OTP_TOTP_ISSUER.replace(":", "")
        label = quote(f"{issuer}:{self.user.get_username()}", safe="")
        params = {
            "secret": b32encode(self.bin_key).decode().rstrip("="),
            "algorithm": "SHA1",
            "digits": self.digits,
            "period": self.step,
            "issuer": issuer,
        }
        return f"otpauth://totp/{label}?{urlencode(params, quote_via=quote)}"


class BackupCodeDevice(Device):
    """One-time backup codes for a user: only salted hashes are stored (see `BackupCode`)."""

    class Meta(Device.Meta):
        verbose_name = "backup code device"

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()

    def verify_token(self, token) -> bool:
        """Accept an unused code once; the conditional update makes it single-use under races."""
        candidate = normalize_backup_code(str(token))
        if not candidate:
            return False
        for code in self.codes.filter(used_at__isnull=True):
            if check_password(candidate, code.code_hash):
                used = BackupCode.objects.filter(pk=code.pk, used_at__isnull=True)
                return used.update(used_at=timezone.now()) == 1
        return False


def normalize_backup_code(value: str) -> str:
    return "".join(ch for ch in value.lower() if ch.isalnum())


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=255)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"backup code {self.pk} ({'used' if self.used_at else 'unused'})"


class EmailToken(models.Model):
    """A one-time link sent by email. Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_tokens"
    )
    purpose = models.CharField(max_length=16, choices=TokenPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"], name="emailtoken_user_purpose_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} token for user {self.user_id}"


class UserSessionQuerySet(models.QuerySet):
    def active(self) -> UserSessionQuerySet:
        """Not revoked, and not expired (sessions live SESSION_COOKIE_AGE past last activity)."""
        horizon = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
        return self.filter(revoked_at__isnull=True, last_activity__gte=horizon)


class UserSession(models.Model):
    """A login, tracked so people can see where they are logged in and end it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_sessions"
    )
    # SHA-256 of the session key (see StoredSession): the cookie itself is never stored.
    session_key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    browser = models.CharField(max_length=100, blank=True)
    os = models.CharField(max_length=100, blank=True)
    device = models.CharField(max_length=100, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = UserSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-last_activity", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="usersession_user_idx")]

    def __str__(self) -> str:
        return f"{self.browser or 'Unknown browser'} on {self.os or 'unknown OS'}"


def session_key_digest(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


class StoredSession(AbstractBaseSession):
    """Django's session table, keyed by the SHA-256 of the cookie (`security.session_store`).

    Session keys are 32 random characters, so the digest cannot be turned back into a cookie:
    a copy of this table cannot be used to take over a session.
    """

    session_key = models.CharField(max_length=64, primary_key=True)

    class Meta(AbstractBaseSession.Meta):
        db_table = "security_session"

    @classmethod
    def get_session_store_class(cls):
        return import_module(settings.SESSION_ENGINE).SessionStore
