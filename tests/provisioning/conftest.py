"""Fixtures for provisioning: a real target PostgreSQL server, separate from the panel's DB."""

from __future__ import annotations

import time

import pytest

from provisioning.engine import runner
from provisioning.models import ProvisioningJob, Server
from provisioning.servers.services import save_server
from tests.provisioning.pgcluster import destroy_cluster, start_cluster

SYSTEM_DATABASES = ("postgres", "template0", "template1")


@pytest.fixture(scope="session")
def target_pg():
    cluster = start_cluster()
    yield cluster
    destroy_cluster(cluster)


def clean_target(cluster) -> None:
    """Drop everything tests made on the target server."""
    with cluster.connect() as conn:
        for (name,) in conn.execute(
            "SELECT datname FROM pg_database WHERE datname <> ALL(%s)", [list(SYSTEM_DATABASES)]
        ).fetchall():
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        for (name,) in conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname <> 'postgres' AND rolname NOT LIKE 'pg\\_%'"
        ).fetchall():
            conn.execute(f'DROP ROLE "{name}"')


def make_server(cluster, *, name: str = "target", port: int | None = None) -> Server:
    server = Server(name=name, address="127.0.0.1", roles=["database"])
    return save_server(
        server,
        database={
            "port": port or cluster.port,
            "user": "postgres",
            "dbname": "postgres",
            "sslmode": "disable",
        },
        password=cluster.password,
        actor=None,
    )


@pytest.fixture(scope="session")
def second_pg():
    """A second managed PostgreSQL server, for jobs whose steps span two servers."""
    cluster = start_cluster()
    yield cluster
    destroy_cluster(cluster)


@pytest.fixture
def second_server(db, second_pg):
    server = make_server(second_pg, name="second")
    yield server
    clean_target(second_pg)


@pytest.fixture
def db_server(db, target_pg):
    server = make_server(target_pg)
    yield server
    clean_target(target_pg)


@pytest.fixture
def fast_jobs(settings):
    """Short backoff and few attempts, so retry paths run in well under a second."""
    settings.PROVISIONING_RETRY_BASE_SECONDS = 0.05
    settings.PROVISIONING_RETRY_MAX_SECONDS = 1
    settings.PROVISIONING_MAX_ATTEMPTS = 3
    return settings


def wait_for(check, timeout: float = 30.0, interval: float = 0.05):
    """Poll CHECK until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def run_jobs_inline(max_rounds: int = 50) -> None:
    """Run every due pending job in this process (for tests without a worker)."""
    for _ in range(max_rounds):
        pending = list(ProvisioningJob.objects.filter(state="pending").order_by("pk"))
        if not pending:
            return
        for job in pending:
            wait_for(lambda job=job: job.next_attempt_at <= _now(), timeout=10, interval=0.01)
            runner.run_job(job.pk)
    raise AssertionError("jobs still pending")


def _now():
    from django.utils import timezone

    return timezone.now()


def bulk_databases(account, server, count: int, *, state: str = "active") -> list:
    """COUNT database rows for ACCOUNT (panel rows only, for list pages), one job each."""
    from provisioning.engine.jobs import create_job
    from provisioning.models import Database

    rows = Database.objects.bulk_create(
        Database(
            account=account,
            server=server,
            name=f"{account.prefix}_bulk{index:03d}",
            owner_role=f"{account.prefix}_bulk{index:03d}",
            state=state,
        )
        for index in range(count)
    )
    for db in rows:
        create_job("database.create", db, server=server, account=account, lock_scope="bulk")
    return rows
