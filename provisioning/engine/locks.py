"""Scope locks: PostgreSQL session advisory locks on the panel's database.

A worker holds its job's scope lock for as long as the job runs, so a running job whose lock
is free has lost its worker (the session died with it): it can be taken over at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from provisioning.engine.models import ProvisioningJob

LOCK_NAMESPACE = 48_151  # first key of our advisory locks (second: hash of the scope)


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


_JOB_SCOPE_LOCK = (
    "SELECT lock_scope, pg_try_advisory_lock(%s, hashtext(lock_scope)) "  # noqa: S608 - constant
    f"FROM {ProvisioningJob._meta.db_table} WHERE id = %s"
)


@contextmanager
def job_scope_lock(job_id: int) -> Iterator[tuple[str | None, bool]]:
    """Find job JOB_ID's scope and try to take its lock, in one query; yields the scope
    (None: no such job) and whether we hold the lock, and frees it at the end."""
    with connection.cursor() as cursor:
        cursor.execute(_JOB_SCOPE_LOCK, [LOCK_NAMESPACE, job_id])
        scope, locked = cursor.fetchone() or (None, False)
    try:
        yield scope, locked
    finally:
        if locked:
            _unlock(scope)


def _unlock(scope: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_NAMESPACE, scope])
