"""The append-only audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone


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
