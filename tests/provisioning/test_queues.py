"""Per-server queues with real workers: one worker per managed server, each consuming only
`server.<id>`; every step runs on the worker of the server it acts on."""

from __future__ import annotations

import pytest

from provisioning.databases import services
from provisioning.engine.choices import JobState, StepState
from provisioning.engine.jobs import create_job
from provisioning.engine.models import ProvisioningJob
from tests.provisioning import kinds
from tests.provisioning.conftest import wait_for
from tests.provisioning.workers import kill_worker, start_worker

pytestmark = pytest.mark.django_db(transaction=True)
WORKER_APP = "tests.provisioning.worker_app"  # the panel's app plus the test kinds


@pytest.fixture
def workers(db_server, second_server, settings):
    """{server id: worker process}: one worker per server, on that server's queue only."""
    settings.PROVISIONING_PER_SERVER_QUEUES = True
    started = {
        server.pk: start_worker(f"server.{server.pk}", app=WORKER_APP)
        for server in (db_server, second_server)
    }
    yield started
    for worker in started.values():
        kill_worker(worker)


def _ran_on(step, worker) -> bool:
    return step.worker.endswith(f":{worker.pid}")


def _finished(job) -> bool:
    return ProvisioningJob.objects.get(pk=job.pk).state in (JobState.DONE, JobState.FAILED)


def test_each_database_is_made_by_its_servers_worker(
    alice_account, db_server, second_server, target_pg, second_pg, workers
):
    first, _ = services.create_database(alice_account, "shop", actor=None)
    assert first.server == db_server  # the least loaded server gets the next database
    second, _ = services.create_database(alice_account, "blog", actor=None)
    assert second.server == second_server
    jobs = [ProvisioningJob.objects.for_resource(db).get() for db in (first, second)]
    for job in jobs:
        wait_for(lambda job=job: _finished(job), timeout=60)
    for job, db in zip(jobs, (first, second), strict=True):
        job.refresh_from_db()
        assert job.state == JobState.DONE
        for step in job.steps.all():
            assert step.server_id == db.server_id
            assert _ran_on(step, workers[db.server_id]), (step.name, step.worker)
    assert "alice_shop" in target_pg.databases() and "alice_shop" not in second_pg.databases()
    assert "alice_blog" in second_pg.databases() and "alice_blog" not in target_pg.databases()


def _mirrored(account, first, second):
    db, _ = services.create_database(account, "shop", actor=None)
    ProvisioningJob.objects.for_resource(db).delete()  # its job never reaches a worker
    return create_job(
        kinds.MIRRORED,
        db,
        server=first,
        lock_scope=db.lock_scope,
        params={"second_server": second.pk},
    )


def test_a_job_over_two_servers_moves_between_their_workers(
    alice_account, db_server, second_server, target_pg, second_pg, workers
):
    job = _mirrored(alice_account, db_server, second_server)
    wait_for(lambda: _finished(job), timeout=60)
    job.refresh_from_db()
    assert job.state == JobState.DONE
    steps = {step.name: step for step in job.steps.all()}
    assert _ran_on(steps["role_on_first"], workers[db_server.pk])
    assert _ran_on(steps["role_on_second"], workers[second_server.pk])
    assert _ran_on(steps["database_on_second"], workers[second_server.pk])
    assert "alice_shop" in target_pg.roles() and "alice_shop" in second_pg.databases()


def test_compensation_goes_back_to_the_first_servers_worker(
    alice_account, db_server, second_server, target_pg, second_pg, workers
):
    second_pg.query("CREATE DATABASE alice_shop")  # the second server refuses step 3
    job = _mirrored(alice_account, db_server, second_server)
    wait_for(lambda: _finished(job), timeout=60)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    steps = {step.name: step for step in job.steps.all()}
    assert [steps[name].state for name in ("role_on_first", "role_on_second")] == [
        StepState.ROLLED_BACK,
        StepState.ROLLED_BACK,
    ]
    # Undone where each was made: the first role by the first server's worker.
    assert _ran_on(steps["role_on_first"], workers[db_server.pk])
    assert _ran_on(steps["role_on_second"], workers[second_server.pk])
    assert "alice_shop" not in target_pg.roles() | second_pg.roles()
