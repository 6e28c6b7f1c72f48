"""Managed servers (shared with monitoring). Resources and jobs arrive with their issue."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from provisioning.choices import ServerRole, ServerStatus


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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def has_role(self, role: str) -> bool:
        return role in self.roles
