"""Drift checks: what the panel believes versus what the servers hold. Read-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DriftReport(models.Model):
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    checked = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Drift check {self.started_at:%Y-%m-%d %H:%M}"


class DriftFinding(models.Model):
    report = models.ForeignKey(DriftReport, on_delete=models.CASCADE, related_name="findings")
    server = models.ForeignKey(
        "provisioning.Server", null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(max_length=32)  # e.g. "database"
    resource_id = models.BigIntegerField(null=True, blank=True)
    resource_label = models.CharField(max_length=255)
    problem = models.CharField(max_length=500)

    class Meta:
        ordering = ["kind", "resource_label"]

    def __str__(self) -> str:
        return f"{self.resource_label}: {self.problem}"
