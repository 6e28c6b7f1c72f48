"""The saga runner: claim a job, lock its scope, walk its steps, compensate on failure."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from provisioning.engine.backends import BackendError
from provisioning.engine.choices import JobPhase, JobState
from provisioning.engine.dispatch import enqueue, enqueue_job
from provisioning.engine.models import ProvisioningJob
from provisioning.engine.registry import JobKind, get_kind
from provisioning.engine.walk import HandOff, Walk, worker_id
from security import audit

logger = logging.getLogger(__name__)
LOCK_NAMESPACE = 48_151  # first key of our advisory locks (second: hash of the scope)
BUSY_DELAY = 1.0  # seconds before trying again a job whose scope is busy


def run_job(job_id: int, server_id: int | None = None) -> str:
    """Entry point of the Celery task (SERVER_ID: the server whose queue sent it).

    Returns what happened, for logs and tests.
    """
    job = ProvisioningJob.claim(job_id, worker=worker_id())
    if job is None:
        return "not claimed"  # another worker got there first, or it is not due yet
    earlier = _earlier_job_due(job)
    if earlier is not None:
        # Not before the earlier job's next attempt (it may be backing off for minutes);
        # when it finishes it starts this one at once (_kick_next).
        return _release(job, "waiting for an earlier job", not_before=earlier)
    with _scope_lock(job.lock_scope) as locked:
        if not locked:
            return _release(job, "another job holds the lock")
        return _run(job, get_kind(job.kind), server_id)


def _earlier_job_due(job: ProvisioningJob):
    """When the earliest unfinished job before JOB on its scope runs next, or None."""
    return (
        ProvisioningJob.objects.unfinished()
        .filter(lock_scope=job.lock_scope, pk__lt=job.pk)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def _release(job: ProvisioningJob, reason: str, not_before=None) -> str:
    now = timezone.now()
    due = max(now + timedelta(seconds=BUSY_DELAY), not_before or now)
    job.release(due=due)
    enqueue_job(job, countdown=(due - now).total_seconds())
    return f"released: {reason}"


@contextmanager
def _scope_lock(scope: str) -> Iterator[bool]:
    """A session advisory lock: held across the job's transactions, freed if we die."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, scope])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_NAMESPACE, scope]
                )


def _run(job: ProvisioningJob, kind: JobKind, server_id: int | None) -> str:
    walk = Walk(job, kind, server_id)
    try:
        if job.phase == JobPhase.FORWARD:
            try:
                walk.forward()
            except BackendError as exc:
                if _may_retry(job, exc):
                    return _retry_later(job, exc)
                _start_rollback(job, exc)
            else:
                return _finish(job, kind, walk.resource, JobState.DONE)
        try:
            walk.backward()
        except BackendError as exc:
            if _may_retry(job, exc):
                return _retry_later(job, exc)
            return _fail(job, kind, walk.resource, exc, rollback_complete=False)
    except HandOff as handoff:
        job.release(due=timezone.now())
        enqueue(job.pk, handoff.server_id)
        return f"handed to server {handoff.server_id}"
    finally:
        walk.close()
    return _finish(job, kind, walk.resource, JobState.FAILED)


def _may_retry(job: ProvisioningJob, exc: BackendError) -> bool:
    return not exc.permanent and job.attempts + 1 < settings.PROVISIONING_MAX_ATTEMPTS


def _retry_later(job: ProvisioningJob, exc: BackendError) -> str:
    base = settings.PROVISIONING_RETRY_BASE_SECONDS
    delay = min(base * 2**job.attempts, settings.PROVISIONING_RETRY_MAX_SECONDS)
    message, detail = exc.message, exc.detail
    if job.phase == JobPhase.ROLLBACK:  # keep why the job failed; say what blocks the undo
        message, detail = job.error_message, f"{job.error_detail}\nUndo: {exc.detail}".strip()
    job.back_off(due=timezone.now() + timedelta(seconds=delay), message=message, detail=detail)
    enqueue_job(job, countdown=delay)
    return "retry scheduled"


def _start_rollback(job: ProvisioningJob, exc: BackendError) -> None:
    message = exc.message
    if not exc.permanent:
        message = f"{message} Gave up after {job.attempts + 1} attempts."
    job.begin_rollback(message=message, detail=exc.detail)


def _fail(job, kind, resource, exc: BackendError, *, rollback_complete: bool) -> str:
    message, detail = job.error_message, job.error_detail
    if not message or not rollback_complete:
        message = exc.message
    if not rollback_complete:
        detail = f"{detail}\nRollback incomplete: {exc.detail}".strip()
    return _finish(job, kind, resource, JobState.FAILED, message=message, detail=detail)


def _finish(
    job, kind: JobKind, resource, state: str, *, message: str = "", detail: str = ""
) -> str:
    with transaction.atomic():
        if state == JobState.DONE:
            job.succeed()
        else:
            job.fail(message=message or job.error_message, detail=detail or job.error_detail)
        hook = kind.on_done if state == JobState.DONE else kind.on_failed
        hook(job, resource)
        audit.record(None, f"job.{state}", target=job, kind=job.kind)
    _kick_next(job)
    return state


def _kick_next(job) -> None:
    """Start the next job waiting on the same scope without waiting for the dispatcher."""
    following = (
        ProvisioningJob.objects.filter(lock_scope=job.lock_scope, state=JobState.PENDING)
        .order_by("pk")
        .first()
    )
    if following:
        # It may have been told to wait for us; a job backing off on its own keeps its time.
        ProvisioningJob.objects.filter(pk=following.pk, attempts=0).update(
            next_attempt_at=timezone.now()
        )
        enqueue_job(following)
