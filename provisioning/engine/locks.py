"""Scope locks: PostgreSQL session advisory locks on the panel's database.

A worker holds its job's scope lock for as long as the job runs, so a running job whose lock
is free has lost its worker (the session died with it): it can be taken over at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

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
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_NAMESPACE, scope]
                )
