"""Provisioning jobs (a row per request to change a resource, with ordered steps: a saga)
and drift reports (what the panel believes versus what the servers hold)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from provisioning.engine.choices import JobPhase, JobState, StepState


class JobQuerySet(models.QuerySet):
    def for_resource(self, resource: models.Model) -> JobQuerySet:
        content_type = ContentType.objects.get_for_model(resource)
        return self.filter(resource_type=content_type, resource_id=resource.pk)

    def unfinished(self) -> JobQuerySet:
        return self.filter(state__in=[JobState.PENDING, JobState.RUNNING])


class ProvisioningJob(models.Model):
    """One change to one resource, applied by a worker step by step.

    The row is the outbox: a job is sent to Celery after commit, and re-sent by the
    dispatcher if it stays pending or its worker dies (see provisioning.jobs.dispatch).
    """

    kind = models.CharField(max_length=64)
    resource_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    resource_id = models.BigIntegerField()
    resource_label = models.CharField(max_length=255)
    # Jobs with the same scope never run at once and run in creation order.
    lock_scope = models.CharField(max_length=100, db_index=True)
    account = models.ForeignKey(
        "accounts.HostingAccount", null=True, blank=True, on_delete=models.SET_NULL
    )
    server = models.ForeignKey("provisioning.Server", on_delete=models.PROTECT, related_name="jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.PENDING)
    phase = models.CharField(max_length=16, choices=JobPhase.choices, default=JobPhase.FORWARD)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=255, blank=True, default="")
    error_message = models.CharField(max_length=500, blank=True, default="")
    error_detail = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["resource_type", "resource_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.resource_label} (#{self.pk})"

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def has_done_steps(self) -> bool:
        return any(step.state == StepState.DONE for step in self.steps.all())

    @property
    def resource(self) -> models.Model | None:
        model = self.resource_type.model_class()
        return model.objects.filter(pk=self.resource_id).first() if model else None


class JobStep(models.Model):
    job = models.ForeignKey(ProvisioningJob, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=StepState.choices, default=StepState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    log = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["job", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="jobstep_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name} ({self.state})"


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
