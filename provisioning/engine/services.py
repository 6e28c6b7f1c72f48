"""Administrators' actions on jobs: retry a failed job, or roll it back."""

from __future__ import annotations

from django.db import transaction

from provisioning.engine.choices import JobPhase, JobState
from provisioning.engine.dispatch import enqueue_on_commit
from provisioning.engine.models import JobStep, ProvisioningJob
from provisioning.engine.registry import get_kind
from provisioning.exceptions import JobStateError
from security import audit


def _set_resource_state(job: ProvisioningJob, state: str) -> None:
    model = job.resource_type.model_class()
    fields = {field.name for field in model._meta.get_fields()} if model is not None else set()
    if {"state", "error_message"} <= fields:
        model.objects.filter(pk=job.resource_id).update(state=state, error_message="")


def can_retry(job: ProvisioningJob) -> bool:
    return job.state == JobState.FAILED


def can_rollback(job: ProvisioningJob) -> bool:
    pending_retry = job.state == JobState.PENDING and job.attempts > 0
    stopped = job.state == JobState.FAILED and job.has_done_steps
    return job.phase == JobPhase.FORWARD and pending_retry or stopped


@transaction.atomic
def retry_job(job: ProvisioningJob, *, actor) -> ProvisioningJob:
    """Run a failed job again from its first step not done (steps are idempotent)."""
    job = ProvisioningJob.objects.select_for_update().get(pk=job.pk)
    if not can_retry(job):
        raise JobStateError("Only a failed job can be retried.")
    JobStep.reset(job.steps.all())
    job.retry()
    _set_resource_state(job, get_kind(job.kind).running_state)
    enqueue_on_commit(job)
    audit.record(actor, "job.retried", target=job, kind=job.kind)
    return job


@transaction.atomic
def rollback_job(job: ProvisioningJob, *, actor) -> ProvisioningJob:
    """Undo the done steps of a job (stop retrying, or finish an incomplete rollback)."""
    job = ProvisioningJob.objects.select_for_update().get(pk=job.pk)
    if not can_rollback(job):
        raise JobStateError("This job has nothing to roll back.")
    job.roll_back(message="Rolled back by an administrator.")
    enqueue_on_commit(job)
    audit.record(actor, "job.rollback_requested", target=job, kind=job.kind)
    return job
