"""Celery entry points: take an id (or nothing), call into the engine or a kind."""

from __future__ import annotations

from celery import shared_task

from provisioning.databases import checks
from provisioning.engine import dispatch, drift, runner
from provisioning.engine.dispatch import RUN_JOB_TASK


@shared_task(name=RUN_JOB_TASK, acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int, server_id: int | None = None) -> str:
    return runner.run_job(job_id, server_id)


@shared_task(name="provisioning.dispatch_stale")
def dispatch_stale() -> dict:
    return dispatch.dispatch_stale()


@shared_task(name="provisioning.drift_check")
def drift_check(actor_id: int | None = None) -> int:
    from accounts.models import User

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return drift.run_drift_check(actor=actor).pk


@shared_task(name="provisioning.refresh_database_sizes")
def refresh_database_sizes() -> int:
    return checks.refresh_database_sizes()
