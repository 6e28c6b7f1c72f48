"""Creating jobs: `create_job` is what a kind's services call (see registry and runner)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from provisioning.engine.dispatch import enqueue_on_commit
from provisioning.engine.models import JobStep, ProvisioningJob
from provisioning.engine.registry import get_kind


def create_job(
    kind_name: str,
    resource: models.Model,
    *,
    server,
    account=None,
    actor=None,
    lock_scope: str,
    params: dict | None = None,
) -> ProvisioningJob:
    """Write the job and its steps; it is sent to a worker when the transaction commits.

    Call inside the service's transaction, right after writing the resource row. SERVER
    is the job's server; each step records its own (the kind's `Step.server`, or SERVER).
    """
    kind = get_kind(kind_name)
    job = ProvisioningJob.objects.create(
        kind=kind.name,
        resource_type=ContentType.objects.get_for_model(resource),
        resource_id=resource.pk,
        resource_label=str(resource)[:255],
        lock_scope=lock_scope,
        account=account,
        server=server,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        params=params or {},
    )
    rows = [
        (step.name, step_server)
        for step in kind.steps
        for step_server in _servers_of(step, job, resource, server)
    ]
    JobStep.objects.bulk_create(
        JobStep(job=job, position=index, name=name, server=step_server)
        for index, (name, step_server) in enumerate(rows, start=1)
    )
    enqueue_on_commit(job)
    return job


def _servers_of(step, job, resource, server) -> list:
    """The servers STEP acts on in this job: one row each (`each`), else exactly one."""
    if step.each is not None:
        return list(step.each(job, resource))
    return [step.server(job, resource) if step.server else server]
