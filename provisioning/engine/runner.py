"""The saga runner: claim a job, lock its scope, walk its steps, compensate on failure."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from provisioning.engine import locks
from provisioning.engine.backends import BackendError
from provisioning.engine.choices import JobPhase, JobState
from provisioning.engine.dispatch import enqueue, enqueue_job
from provisioning.engine.models import ProvisioningJob
from provisioning.engine.registry import JobKind, get_kind
from provisioning.engine.states import StaleTransition
from provisioning.engine.walk import HandOff, Walk, worker_id
from security import audit

logger = logging.getLogger(__name__)
BUSY_DELAY = 1.0  # seconds before trying again a job whose scope is busy
LOCK_NAMESPACE = locks.LOCK_NAMESPACE


def run_job(job_id: int, server_id: int | None = None) -> str:
    """Entry point of the Celery task (SERVER_ID: the server whose queue sent it).

    The scope lock comes first: holding it, the worker claims the job if it is pending, or
    takes it over if it is still marked running (its worker died: a redelivered message or
    the dispatcher brought it here). Returns what happened, for logs and tests.
    """
    after: list = []  # what to send once the lock is free (the next server's turn)
    with locks.job_scope_lock(job_id) as lock:
        if lock.scope is None:
            return "not claimed"
        result = _run_locked(job_id, server_id, after) if lock.held else _busy(job_id)
    for send in after:
        send()
    if result in (JobState.DONE, JobState.FAILED) and lock.next_pending is not None:
        _kick_next(lock.next_pending)  # found as the lock was freed
    return result


def _run_locked(job_id: int, server_id: int | None, after: list) -> str:
    job = ProvisioningJob.claim(job_id, worker=worker_id())
    if job is None:
        return "not claimed"  # another worker got there first, or it is not due yet
    earlier = job.earlier_due  # the earliest unfinished job before it on its scope, if any
    if earlier is not None:
        # Not before the earlier job's next attempt (it may be backing off for minutes);
        # when it finishes it starts this one at once (_kick_next).
        return _release(job, "waiting for an earlier job", not_before=earlier)
    try:
        return _run(job, get_kind(job.kind), server_id, after)
    except StaleTransition as exc:
        logger.warning("job %s: %s", job.pk, exc)
        return "lost the job"


def _busy(job_id: int) -> str:
    """Another worker holds the scope: a pending job is tried again shortly."""
    job = ProvisioningJob.objects.filter(pk=job_id, state=JobState.PENDING).first()
    if job is None:
        return "not claimed"  # running under the lock's holder, or finished
    enqueue_job(job, countdown=BUSY_DELAY)
    return "released: another job holds the lock"


def _release(job: ProvisioningJob, reason: str, not_before=None) -> str:
    now = timezone.now()
    due = max(now + timedelta(seconds=BUSY_DELAY), not_before or now)
    job.release(due=due)
    enqueue_job(job, countdown=(due - now).total_seconds())
    return f"released: {reason}"


def _run(job: ProvisioningJob, kind: JobKind, server_id: int | None, after: list) -> str:
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
            if not exc.permanent:  # a server is away: cleanup waits for it, however long
                return _cleanup_later(job, kind, walk.resource, exc)
            return _fail(job, kind, walk.resource, exc)
    except HandOff as handoff:
        target = handoff.server_id
        job.release(due=timezone.now())
        after.append(lambda: enqueue(job.pk, target))
        return f"handed to server {target}"
    finally:
        walk.close()
    return _finish(job, kind, walk.resource, JobState.FAILED)


def _may_retry(job: ProvisioningJob, exc: BackendError) -> bool:
    return not exc.permanent and job.attempts + 1 < settings.PROVISIONING_MAX_ATTEMPTS


def _delay(job: ProvisioningJob) -> float:
    base = settings.PROVISIONING_RETRY_BASE_SECONDS
    return min(base * 2 ** min(job.attempts, 30), settings.PROVISIONING_RETRY_MAX_SECONDS)


def _retry_later(job: ProvisioningJob, exc: BackendError) -> str:
    delay = _delay(job)
    job.back_off(
        due=timezone.now() + timedelta(seconds=delay), message=exc.message, detail=exc.detail
    )
    enqueue_job(job, countdown=delay)
    return "retry scheduled"


def _cleanup_later(job: ProvisioningJob, kind: JobKind, resource, exc: BackendError) -> str:
    """Undoing waits for a server: keep why the job failed, say what blocks the cleanup,
    and let the resource show the failure now (cleanup pending) rather than at the end."""
    delay = _delay(job)
    cause = job.error_detail.split("\nCleanup pending:")[0]
    with transaction.atomic():
        job.back_off(
            due=timezone.now() + timedelta(seconds=delay),
            message=job.error_message,
            detail=f"{cause}\nCleanup pending: {exc.detail}",
        )
        kind.on_failed(job, resource)
    enqueue_job(job, countdown=delay)
    return "cleanup pending"


def _start_rollback(job: ProvisioningJob, exc: BackendError) -> None:
    message = exc.message
    if not exc.permanent:
        message = f"{message} Gave up after {job.attempts + 1} attempts."
    job.begin_rollback(message=message, detail=exc.detail)


def _fail(job, kind, resource, exc: BackendError) -> str:
    """Undoing failed for good: a person must look (the job page offers Roll back)."""
    detail = f"{job.error_detail}\nRollback incomplete: {exc.detail}".strip()
    message = job.error_message or exc.message
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
    return state


def _kick_next(following_id: int) -> None:
    """Start the next job waiting on the same scope without waiting for the dispatcher."""
    following = ProvisioningJob.objects.filter(pk=following_id, state=JobState.PENDING).first()
    if following:
        # It may have been told to wait for us; a job backing off on its own keeps its time.
        ProvisioningJob.objects.filter(pk=following.pk, attempts=0).update(
            next_attempt_at=timezone.now()
        )
        enqueue_job(following)
