"""Customers' PostgreSQL databases and their roles (the panel's view of them)."""

from __future__ import annotations

from django.db import models

from accounts.querysets import OwnedQuerySet
from provisioning.databases.choices import Privilege
from provisioning.engine.resources import ProvisionedResource, ResourceQuerySet


class DatabaseQuerySet(ResourceQuerySet):
    owner_field = "account__owner"


class Database(ProvisionedResource):
    account = models.ForeignKey(
        "accounts.HostingAccount", on_delete=models.PROTECT, related_name="databases"
    )
    server = models.ForeignKey(
        "provisioning.Server", on_delete=models.PROTECT, related_name="databases"
    )
    name = models.CharField(max_length=63, unique=True)
    owner_role = models.CharField(max_length=63)
    connection_limit = models.IntegerField(default=20)
    size_bytes = models.BigIntegerField(default=0)
    size_checked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DatabaseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return self.name

    @property
    def lock_scope(self) -> str:
        return f"database:{self.pk}"


class DatabaseRoleQuerySet(OwnedQuerySet):
    owner_field = "database__account__owner"


class DatabaseRole(ProvisionedResource):
    """A login role with privileges on one database. The password is never stored: only
    its SCRAM-SHA-256 verifier, which is what PostgreSQL itself keeps."""

    database = models.ForeignKey(Database, on_delete=models.CASCADE, related_name="roles")
    name = models.CharField(max_length=63, unique=True)
    privilege = models.CharField(max_length=16, choices=Privilege.choices, default=Privilege.ALL)
    is_owner = models.BooleanField(default=False)
    password_verifier = models.TextField(editable=False)

    objects = DatabaseRoleQuerySet.as_manager()

    class Meta:
        ordering = ["-is_owner", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def lock_scope(self) -> str:
        return self.database.lock_scope
