"""Scope locks: PostgreSQL session advisory locks on the panel's database.

A worker holds its job's scope lock for as long as the job runs, so a running job whose lock
is free has lost its worker (the session died with it): it can be taken over at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection

from provisioning.engine.choices import JobState
from provisioning.engine.models import ProvisioningJob

LOCK_NAMESPACE = 48_151  # first key of our advisory locks (second: hash of the scope)
PENDING = str(JobState.PENDING)


@contextmanager
def scope_lock(scope: str) -> Iterator[bool]:
    """Try to take SCOPE's lock; yields whether we hold it, and frees it at the end."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, scope])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            _unlock(scope)


_JOB_TABLE = ProvisioningJob._meta.db_table
_JOB_SCOPE_LOCK = (
    "SELECT lock_scope, pg_try_advisory_lock(%s, hashtext(lock_scope)) "  # noqa: S608 - constant
    f"FROM {_JOB_TABLE} WHERE id = %s"
)
# Freeing a job's scope also finds the scope's next pending job, in the same round trip.
_JOB_SCOPE_UNLOCK = (
    "SELECT pg_advisory_unlock(%s, hashtext(%s)), "  # noqa: S608 - constant
    f"(SELECT min(id) FROM {_JOB_TABLE} WHERE lock_scope = %s AND state = %s)"
)


@dataclass
class JobScopeLock:
    scope: str | None  # None: no such job
    held: bool
    next_pending: int | None = None  # once freed: the scope's earliest pending job, if any


@contextmanager
def job_scope_lock(job_id: int) -> Iterator[JobScopeLock]:
    """Find job JOB_ID's scope and try to take its lock, in one query; yields the scope
    and whether we hold the lock, and frees it at the end (noting, in the same query, the
    scope's next pending job: the runner starts it if this job finished)."""
    with connection.cursor() as cursor:
        cursor.execute(_JOB_SCOPE_LOCK, [LOCK_NAMESPACE, job_id])
        lock = JobScopeLock(*(cursor.fetchone() or (None, False)))
    try:
        yield lock
    finally:
        if lock.held:
            with connection.cursor() as cursor:
                cursor.execute(_JOB_SCOPE_UNLOCK, [LOCK_NAMESPACE, lock.scope, lock.scope, PENDING])
                lock.next_pending = cursor.fetchone()[1]


def _unlock(scope: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_NAMESPACE, scope])
