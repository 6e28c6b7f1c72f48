"""Vocabularies of the engine: resource, job, phase and step states (shared by every kind)."""

from django.db import models


class ResourceState(models.TextChoices):
    """What the customer sees of a provisioned resource."""

    PENDING = "pending", "Being created"
    ACTIVE = "active", "Active"
    UPDATING = "updating", "Updating"
    DELETING = "deleting", "Being deleted"
    FAILED = "failed", "Failed"


class JobState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class JobPhase(models.TextChoices):
    FORWARD = "forward", "Applying"
    ROLLBACK = "rollback", "Rolling back"


class StepState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    UNDOING = "undoing", "Undoing"
    ROLLED_BACK = "rolled_back", "Rolled back"
