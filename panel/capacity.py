"""How big the production web server is: gunicorn workers x threads, from the core count.

Every thread serving a request holds at most one PostgreSQL connection, and each web
process keeps a pool of exactly `threads` connections (DATABASE_POOL_SIZE), so the web
server needs `workers x threads` connections at most. docs/deploy.md has the arithmetic
against PostgreSQL's max_connections.
"""

from __future__ import annotations

import os

THREADS_PER_WORKER = 4
MAX_WORKERS = 9  # beyond this, add web nodes behind pgbouncer (docs/deploy.md)


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    number = int(value)
    if number < 1:
        raise ValueError(f"{name} must be at least 1, not {value!r}")
    return number


def web_workers(cores: int | None = None) -> int:
    """WEB_WORKERS, else 2 x cores + 1 (at most MAX_WORKERS)."""
    cores = cores or os.cpu_count() or 1
    return _env_int("WEB_WORKERS") or min(2 * cores + 1, MAX_WORKERS)


def web_threads() -> int:
    """WEB_THREADS, else THREADS_PER_WORKER."""
    return _env_int("WEB_THREADS") or THREADS_PER_WORKER
