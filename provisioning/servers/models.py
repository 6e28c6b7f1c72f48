"""Managed servers (shared with monitoring): roles, per-role connection settings, secrets."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from provisioning.servers import crypto
from provisioning.servers.choices import ServerRole, ServerStatus


class ServerQuerySet(models.QuerySet):
    def active(self) -> ServerQuerySet:
        return self.filter(status=ServerStatus.ACTIVE)

    def with_role(self, role: str) -> ServerQuerySet:
        return self.filter(roles__contains=[role])


class Server(models.Model):
    """A host the panel manages: it runs backends for some roles and an agent."""

    name = models.CharField(max_length=100, unique=True)
    address = models.CharField(max_length=255, help_text="Hostname or IP address")
    roles = ArrayField(
        models.CharField(max_length=16, choices=ServerRole.choices), default=list, blank=True
    )
    status = models.CharField(
        max_length=16, choices=ServerStatus.choices, default=ServerStatus.ACTIVE
    )
    # Per-role settings that are not secret: {"database": {"port": 5432, "user": "postgres"}}.
    connection = models.JSONField(default=dict, blank=True)
    # Per-role secrets, Fernet-encrypted JSON: {"database": {"password": "..."}}.
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    last_check_at = models.DateTimeField(null=True, blank=True)
    last_check_ok = models.BooleanField(null=True)
    last_check_message = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_active(self) -> bool:
        return self.status == ServerStatus.ACTIVE

    def settings_for(self, role: str) -> dict:
        return dict(self.connection.get(role, {}))

    def credentials_for(self, role: str) -> dict:
        return dict(crypto.decrypt_json(self.credentials_encrypted).get(role, {}))

    def set_role_connection(self, role: str, settings: dict, credentials: dict | None) -> None:
        """Replace ROLE's settings; CREDENTIALS None keeps the stored secrets."""
        self.connection = {**self.connection, role: settings}
        if credentials is not None:
            try:
                stored = crypto.decrypt_json(self.credentials_encrypted)
            except ImproperlyConfigured:  # sealed with a lost key: new secrets replace them
                stored = {}
            stored[role] = credentials
            self.credentials_encrypted = crypto.encrypt_json(stored)
