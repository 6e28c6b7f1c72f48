"""One connection to the managed server per job attempt, shared by every step and inspect
(issue 15 item 4): counted in the server's own log of authorised connections."""

from __future__ import annotations

import pytest

from provisioning.databases import services
from provisioning.engine import runner
from provisioning.engine import services as engine_services
from provisioning.engine.choices import JobState, StepState
from provisioning.engine.models import ProvisioningJob
from tests.provisioning.conftest import run_jobs_inline, wait_for


@pytest.fixture
def connection_log(target_pg):
    """Lines the target server logs for connections of the panel, from now on."""
    target_pg.query("ALTER SYSTEM SET log_connections = on")
    target_pg.query("SELECT pg_reload_conf()")
    logfile = target_pg.cluster.logfile
    wait_for(lambda: target_pg.query("SHOW log_connections") == [("on",)])
    start = logfile.stat().st_size

    def panel_connections() -> list[str]:
        with logfile.open() as log:
            log.seek(start)
            lines = log.read().splitlines()
        return [
            line
            for line in lines
            if "connection authorized" in line and "application_name=hearth-provisioning" in line
        ]

    yield panel_connections
    target_pg.query("ALTER SYSTEM RESET log_connections")
    target_pg.query("SELECT pg_reload_conf()")


def test_a_create_job_opens_one_connection_for_all_its_steps(
    alice_account, db_server, target_pg, connection_log
):
    db, _ = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    job = ProvisioningJob.objects.for_resource(db).get()
    assert job.state == JobState.DONE
    assert job.steps.count() == 3  # role, database, size: and two inspects
    assert len(connection_log()) == 1


def test_deleting_uses_one_connection_per_database_it_works_in(
    alice_account, db_server, target_pg, connection_log
):
    db, _ = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    db.refresh_from_db()
    role, _ = services.add_role(db, "reader", privilege="readonly", actor=None)
    run_jobs_inline()
    before = len(connection_log())
    assert before == 3  # create: 1; add role: the server, and the database for the grants
    services.delete_database(db, actor=None)
    run_jobs_inline()
    assert len(connection_log()) - before == 1  # drop database, then its roles


def test_an_attempt_that_fails_and_rolls_back_still_opens_one_connection(
    alice_account, db_server, target_pg, connection_log
):
    target_pg.query("CREATE DATABASE alice_shop")  # someone else's: the second step fails
    db, _ = services.create_database(alice_account, "shop", actor=None)
    job = ProvisioningJob.objects.for_resource(db).get()
    assert runner.run_job(job.pk) == JobState.FAILED  # one attempt: forward, then back
    assert job.steps.get(name="create_role").state == StepState.ROLLED_BACK
    assert "alice_shop" not in target_pg.roles()
    assert len(connection_log()) == 1


def test_each_attempt_opens_one_connection_of_its_own(
    alice_account, db_server, target_pg, connection_log
):
    target_pg.query("CREATE DATABASE alice_shop")
    db, _ = services.create_database(alice_account, "shop", actor=None)
    job = ProvisioningJob.objects.for_resource(db).get()
    assert runner.run_job(job.pk) == JobState.FAILED
    target_pg.query("DROP DATABASE alice_shop")  # the admin clears the way and retries
    engine_services.retry_job(job, actor=None)
    assert runner.run_job(job.pk) == JobState.DONE
    assert len(connection_log()) == 2  # two attempts: one each, closed at its end
    assert "alice_shop" in target_pg.databases()
