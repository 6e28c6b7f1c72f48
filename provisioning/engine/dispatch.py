"""Sending jobs to workers: routing, enqueueing after commit, and the stale-job dispatcher."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from provisioning.engine.choices import JobPhase, JobState, StepState
from provisioning.engine.locks import scope_lock
from provisioning.engine.models import ProvisioningJob
from provisioning.exceptions import QueueUnavailable

logger = logging.getLogger(__name__)
# Sent by name, so the engine never imports the task module (tasks -> runner -> dispatch).
RUN_JOB_TASK = "provisioning.run_job"
DRIFT_CHECK_TASK = "provisioning.drift_check"
QUEUE_RETRY_AFTER = 60  # seconds a client is asked to wait when the queue is unreachable


def queue_for(server_id: int) -> str:
    """`server.<id>` when each server runs its own worker, else the default queue.

    With PROVISIONING_PER_SERVER_QUEUES off (the default, and what `make run` uses) the one
    local worker consuming the default queue runs every job.
    """
    if settings.PROVISIONING_PER_SERVER_QUEUES:
        return f"server.{server_id}"
    return settings.PROVISIONING_DEFAULT_QUEUE


def enqueue(job_id: int, server_id: int, *, countdown: float | None = None) -> bool:
    """Send the job to Celery now; False (logged) if the broker is unavailable.

    Losing the message loses nothing: the job row stays pending and the dispatcher
    (beat) sends it again.
    """
    try:
        current_app.send_task(
            RUN_JOB_TASK,
            args=[job_id, server_id],
            queue=queue_for(server_id),
            countdown=countdown,
            retry=False,
        )
    except Exception as exc:  # kombu/redis raise many types when the broker is down
        logger.warning("job %s not sent (broker unavailable: %s); dispatcher will", job_id, exc)
        return False
    return True


def start_drift_check(actor_id: int | None) -> None:
    """Queue a drift check once the transaction commits (the drift page's button and the
    API's POST alike). It has no row to wait in, so it is sent at once without retrying
    for seconds; an unreachable broker is a `QueueUnavailable` (503, Retry-After) and
    nothing has started: the administrator tries again."""
    transaction.on_commit(lambda: _send_drift_check(actor_id))


def _send_drift_check(actor_id: int | None) -> None:
    try:
        current_app.send_task(DRIFT_CHECK_TASK, args=[actor_id], retry=False)
    except Exception as exc:  # kombu/redis raise many kinds while the broker is unreachable
        logger.warning("drift check not queued (broker unavailable: %s)", exc)
        raise QueueUnavailable(
            "The drift check cannot start: the task queue is temporarily unavailable. "
            "Try again in a minute.",
            retry_after=QUEUE_RETRY_AFTER,
        ) from exc


def next_server_id(job: ProvisioningJob) -> int:
    """The server of the step the job runs next (forward: first not done; rollback: last
    done), so the job goes to that server's queue; the job's server when there is none."""
    steps = list(job.steps.order_by("position").values_list("state", "server_id"))
    if job.phase == JobPhase.FORWARD:
        todo = [server for state, server in steps if state != StepState.DONE]
    else:
        undo = (StepState.DONE, StepState.UNDOING)
        todo = [server for state, server in reversed(steps) if state in undo]
    return todo[0] if todo else job.server_id


def enqueue_job(job: ProvisioningJob, *, countdown: float | None = None) -> bool:
    return enqueue(job.pk, next_server_id(job), countdown=countdown)


def enqueue_on_commit(job: ProvisioningJob) -> None:
    transaction.on_commit(lambda: enqueue_job(job))


def revive_orphans(*, due) -> int:
    """Running jobs whose scope lock is free lost their worker (its database session, and
    the lock with it, ended): back to pending, due DUE. A job whose worker is alive, however
    slow its step, keeps its lock and is left alone."""
    revived = 0
    running = ProvisioningJob.objects.filter(state=JobState.RUNNING)
    for job_id, scope, worker in running.values_list("pk", "lock_scope", "locked_by"):
        with scope_lock(scope) as free:
            if free:
                same = ProvisioningJob.objects.filter(pk=job_id, locked_by=worker)
                revived += ProvisioningJob.revive(same, due=due)
    return revived


def dispatch_stale(*, grace_seconds: float | None = None) -> dict[str, int]:
    """Resume jobs whose worker died and re-send jobs left pending. Safe to run anytime."""
    now = timezone.now()
    grace = settings.PROVISIONING_PENDING_GRACE_SECONDS if grace_seconds is None else grace_seconds
    revived = revive_orphans(due=now)
    due = ProvisioningJob.objects.filter(
        state=JobState.PENDING, next_attempt_at__lte=now - timedelta(seconds=grace)
    ) | ProvisioningJob.objects.filter(state=JobState.PENDING, next_attempt_at=now)
    sent = 0
    for job in due.order_by("pk"):
        sent += enqueue_job(job)
    if revived or sent:
        logger.info("dispatcher: %s orphaned jobs revived, %s jobs sent", revived, sent)
    return {"revived": revived, "sent": sent}
