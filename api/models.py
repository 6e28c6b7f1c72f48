"""API tokens (stored as a peppered hash) and remembered answers to idempotent POSTs."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.db import models
from django.utils import timezone

from api.choices import Level


class ApiTokenQuerySet(models.QuerySet):
    def for_user(self, user) -> ApiTokenQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def usable(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A credential `hth_<id>_<secret>`; only HMAC(pepper, secret) is kept.

    Scopes, object restrictions and source networks are fixed at creation: a token is
    replaced, never widened.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    secret_hash = models.CharField(max_length=64, editable=False)
    # {"databases": "write", "account": "read"}; a kind absent here is not granted.
    scopes = models.JSONField(default=dict)
    # ["databases:12"]: when a kind is listed here, only those objects of it are reachable.
    objects_allowed = models.JSONField(default=list, blank=True)
    source_cidrs = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    def level_for(self, kind: str) -> str | None:
        return self.scopes.get(kind)

    def allows(self, kind: str, *, write: bool) -> bool:
        level = self.level_for(kind)
        return level == Level.WRITE or (level == Level.READ and not write)

    def allowed_ids(self, kind: str) -> set[int] | None:
        """The object ids of KIND this token is restricted to, or None when unrestricted."""
        ids = {
            int(item.split(":", 1)[1])
            for item in self.objects_allowed
            if item.startswith(f"{kind}:")
        }
        return ids or None

    def accepts_address(self, address: str | None) -> bool:
        if not self.source_cidrs:
            return True
        if not address:
            return False
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(cidr) for cidr in self.source_cidrs)


class IdempotentRequest(models.Model):
    """The first answer to a POST carrying an Idempotency-Key, replayed for 24 hours."""

    owner = models.CharField(max_length=40)  # "token:<id>" or "user:<id>"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    location = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotent_owner_key")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"
