"""The saga runner: claim a job, lock its scope, run its steps, compensate on failure."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from provisioning.engine.backends import BackendError, get_backend
from provisioning.engine.choices import JobPhase, JobState, StepState
from provisioning.engine.dispatch import enqueue
from provisioning.engine.models import JobStep, ProvisioningJob
from provisioning.engine.registry import JobKind, StepContext, get_kind
from security import audit

logger = logging.getLogger(__name__)
LOCK_NAMESPACE = 48_151  # first key of our advisory locks (second: hash of the scope)
BUSY_DELAY = 1.0  # seconds before trying again a job whose scope is busy


class RetryLater(Exception):
    pass


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(job_id: int) -> str:
    """Entry point of the Celery task. Returns what happened, for logs and tests."""
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
        return _run(job, get_kind(job.kind))


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
    enqueue(job.pk, job.server_id, countdown=(due - now).total_seconds())
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


def _run(job: ProvisioningJob, kind: JobKind) -> str:
    resource = job.resource
    try:
        backend = get_backend(job.server, kind.role)
    except BackendError as exc:
        return _fail(job, kind, resource, exc, rollback_complete=True)
    context = StepContext(job=job, resource=resource, backend=backend)
    steps = list(job.steps.order_by("position"))
    try:
        if job.phase == JobPhase.FORWARD:
            try:
                _forward(job, kind, steps, context)
            except BackendError as exc:
                if not exc.permanent and job.attempts + 1 < settings.PROVISIONING_MAX_ATTEMPTS:
                    return _retry_later(job, exc)
                _start_rollback(job, exc)
            else:
                return _finish(job, kind, resource, JobState.DONE)
        _rollback(job, kind, steps, context)
    except RetryLater:
        return "retry scheduled"
    except BackendError as exc:  # compensation itself failed for good
        return _fail(job, kind, resource, exc, rollback_complete=False)
    return _finish(job, kind, resource, JobState.FAILED)


def _forward(job, kind: JobKind, steps: list[JobStep], context: StepContext) -> None:
    for step in steps:
        if step.state != StepState.DONE:
            _run_step(job, step, kind.step(step.name).do, context, undoing=False)


def _rollback(job, kind: JobKind, steps: list[JobStep], context: StepContext) -> None:
    for step in reversed(steps):
        if step.state not in (StepState.DONE, StepState.UNDOING):
            continue
        undo = kind.step(step.name).undo
        if undo is None:
            step.skip_undo()
            continue
        try:
            _run_step(job, step, undo, context, undoing=True)
        except BackendError as exc:
            if not exc.permanent and job.attempts + 1 < settings.PROVISIONING_MAX_ATTEMPTS:
                _retry_later(job, exc)
                raise RetryLater from None
            raise


def _run_step(job, step: JobStep, func, context: StepContext, *, undoing: bool) -> None:
    """Run FUNC (the step's do, or its undo when UNDOING) and record the outcome.

    A failed `do` leaves the step failed; a failed `undo` leaves it done (what it made is
    still there), so a later rollback tries again.
    """
    previous_log = step.log
    _heartbeat(job)
    step.start_undo() if undoing else step.start()
    _test_pause(step.name)
    context.log_lines = []
    try:
        func(context)
    except Exception as exc:
        if not isinstance(exc, BackendError):
            logger.exception("job %s step %s crashed", job.pk, step.name)
        detail = exc.detail if isinstance(exc, BackendError) else f"internal error: {exc!r}"
        if undoing:
            step.undo_failed(f"{previous_log} | undo failed: {detail}")
        else:
            step.fail(detail)
        if isinstance(exc, BackendError):
            raise
        raise BackendError("An internal error stopped the operation.", detail=repr(exc)) from exc
    line = "; ".join(context.log_lines) or "ok"
    if undoing:
        step.undone(f"{previous_log} | undone: {line}")
    else:
        step.complete(line)
    _heartbeat(job)


def _heartbeat(job) -> None:
    ProvisioningJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())


def _test_pause(step_name: str) -> None:
    """Test-only fault injection (dev mode only): pause a named step so a test can kill us."""
    name, _, seconds = (settings.PROVISIONING_TEST_PAUSE or "").partition(":")
    if name and name == step_name:
        time.sleep(float(seconds or 30))


def _retry_later(job, exc: BackendError) -> str:
    base = settings.PROVISIONING_RETRY_BASE_SECONDS
    delay = min(base * 2**job.attempts, settings.PROVISIONING_RETRY_MAX_SECONDS)
    job.back_off(
        due=timezone.now() + timedelta(seconds=delay), message=exc.message, detail=exc.detail
    )
    enqueue(job.pk, job.server_id, countdown=delay)
    return "retry scheduled"


def _start_rollback(job, exc: BackendError) -> None:
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
        .values_list("pk", "server_id")
        .first()
    )
    if following:
        # It may have been told to wait for us; a job backing off on its own keeps its time.
        ProvisioningJob.objects.filter(pk=following[0], attempts=0).update(
            next_attempt_at=timezone.now()
        )
        enqueue(*following)
