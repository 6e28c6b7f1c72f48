"""Sagas across servers: each step acts on the server it names; compensation walks back
over every server in reverse order, so a job ends active or failed with nothing left."""

from __future__ import annotations

import pytest

from provisioning.databases import services
from provisioning.databases import steps as db_steps
from provisioning.engine.choices import JobState, ResourceState, StepState
from provisioning.engine.jobs import create_job
from provisioning.engine.models import ProvisioningJob
from provisioning.engine.registry import Step
from tests.provisioning import kinds
from tests.provisioning.conftest import run_jobs_inline


@pytest.fixture
def mirrored_kind():
    """A database with its owner role on two servers and the database on the second."""
    return kinds.mirrored


def _mirrored_job(account, first, second, kind):
    db, _ = services.create_database(account, "shop", actor=None)
    ProvisioningJob.objects.for_resource(db).delete()
    job = create_job(
        kind.name,
        db,
        server=first,
        lock_scope=db.lock_scope,
        params={"second_server": second.pk},
    )
    return db, job


def test_each_step_records_the_server_it_acts_on_and_runs_there(
    alice_account, db_server, second_server, target_pg, second_pg, mirrored_kind
):
    db, job = _mirrored_job(alice_account, db_server, second_server, mirrored_kind)
    servers = {step.name: step.server_id for step in job.steps.all()}
    assert servers == {
        "role_on_first": db_server.pk,
        "role_on_second": second_server.pk,
        "database_on_second": second_server.pk,
    }
    run_jobs_inline()
    job.refresh_from_db()
    db.refresh_from_db()
    assert (job.state, db.state) == (JobState.DONE, ResourceState.ACTIVE)
    assert "alice_shop" in target_pg.roles() and "alice_shop" not in target_pg.databases()
    assert "alice_shop" in second_pg.roles() and "alice_shop" in second_pg.databases()


def test_a_failure_on_the_second_server_undoes_the_first(
    alice_account, db_server, second_server, target_pg, second_pg, mirrored_kind
):
    second_pg.query("CREATE DATABASE alice_shop")  # someone else's, on the second server
    db, job = _mirrored_job(alice_account, db_server, second_server, mirrored_kind)
    run_jobs_inline()
    job.refresh_from_db()
    db.refresh_from_db()
    assert (job.state, db.state) == (JobState.FAILED, ResourceState.FAILED)
    assert db.error_message == "A database named alice_shop already exists on the server."
    assert {step.name: step.state for step in job.steps.all()} == {
        "role_on_first": StepState.ROLLED_BACK,
        "role_on_second": StepState.ROLLED_BACK,
        "database_on_second": StepState.FAILED,
    }
    assert "Rollback incomplete" not in job.error_detail
    assert "alice_shop" not in target_pg.roles()  # undone on the first server
    assert "alice_shop" not in second_pg.roles()  # and on the second
    assert "alice_shop" in second_pg.databases()  # never ours: left alone


def _owner_of_missing_role(ctx) -> None:
    """A real failure from the server: a database owned by a role that does not exist."""
    ctx.backend.ensure_database("alice_never", "alice_nobody", connection_limit=1)


def test_role_then_database_are_undone_in_reverse_order(alice_account, db_server, target_pg):
    kind = kinds.kind(
        "test.fails_after_database",
        [
            Step("create_role", db_steps.create_owner_role, db_steps.drop_owner_role),
            Step("create_database", db_steps.create_database, db_steps.drop_database),
            Step("then_fails", _owner_of_missing_role),
        ],
    )
    db, _ = services.create_database(alice_account, "shop", actor=None)
    ProvisioningJob.objects.for_resource(db).delete()
    job = create_job(kind.name, db, server=db_server, lock_scope=db.lock_scope)
    run_jobs_inline()
    job.refresh_from_db()
    steps = {step.name: step for step in job.steps.all()}
    assert job.state == JobState.FAILED and "Rollback incomplete" not in job.error_detail
    assert steps["then_fails"].state == StepState.FAILED
    assert "alice_nobody" in steps["then_fails"].log  # the server's own error
    role, database = steps["create_role"], steps["create_database"]
    assert role.state == database.state == StepState.ROLLED_BACK
    # The database went first: a role that still owns a database cannot be dropped.
    assert database.finished_at < role.finished_at
    assert not {"alice_shop"} & (target_pg.roles() | target_pg.databases())


def test_a_step_whose_effect_is_missing_fails_and_is_undone(alice_account, db_server, target_pg):
    def claims_success(ctx) -> None:
        ctx.log("said it worked")

    kind = kinds.kind(
        "test.inspect_says_no",
        [
            Step("create_role", db_steps.create_owner_role, db_steps.drop_owner_role),
            Step("no_database", claims_success, None, db_steps.database_exists),
        ],
    )
    db, _ = services.create_database(alice_account, "shop", actor=None)
    ProvisioningJob.objects.for_resource(db).delete()
    job = create_job(kind.name, db, server=db_server, lock_scope=db.lock_scope)
    run_jobs_inline()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error_message == "The step no_database did not take effect on target."
    assert "alice_shop" not in target_pg.roles()


def test_a_step_on_a_server_without_its_role_fails_cleanly(
    alice_account, db_server, second_server, target_pg, mirrored_kind
):
    second_server.roles = ["dns"]
    second_server.save()
    db, job = _mirrored_job(alice_account, db_server, second_server, mirrored_kind)
    run_jobs_inline()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error_message == "Server second does not have the database role."
    assert "alice_shop" not in target_pg.roles()
