"""The saga runner against the real target server, run inline (no worker needed)."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone

from provisioning.databases import services
from provisioning.engine import dispatch, runner
from provisioning.engine import services as job_services
from provisioning.engine.choices import JobPhase, JobState, ResourceState, StepState
from provisioning.exceptions import JobStateError
from provisioning.models import Database, ProvisioningJob
from tests.provisioning.conftest import make_server, run_jobs_inline
from tests.provisioning.pgcluster import free_port


def _job(db) -> ProvisioningJob:
    return ProvisioningJob.objects.for_resource(db).first()


def test_a_created_database_becomes_active_with_every_step_done(
    alice_account, db_server, target_pg
):
    db, password = services.create_database(alice_account, "shop", actor=alice_account.owner)
    assert (db.name, db.state) == ("alice_shop", ResourceState.PENDING)
    run_jobs_inline()
    db.refresh_from_db()
    assert db.state == ResourceState.ACTIVE and db.size_bytes > 0
    job = _job(db)
    assert job.state == JobState.DONE
    assert [s.state for s in job.steps.all()] == [StepState.DONE] * 3
    with target_pg.connect("alice_shop", user="alice_shop", password=password) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "alice_shop"


def test_a_failure_after_the_role_was_created_removes_the_role(alice_account, db_server, target_pg):
    target_pg.query("CREATE DATABASE alice_shop")  # someone else's, on the server already
    db, _ = services.create_database(alice_account, "shop", actor=alice_account.owner)
    run_jobs_inline()
    db.refresh_from_db()
    assert db.state == ResourceState.FAILED
    assert db.error_message == "A database named alice_shop already exists on the server."
    job = _job(db)
    states = {step.name: step.state for step in job.steps.all()}
    assert states == {
        "create_role": StepState.ROLLED_BACK,
        "create_database": StepState.FAILED,
        "measure_size": StepState.PENDING,
    }
    assert "alice_shop" not in target_pg.roles()  # compensated
    assert "alice_shop" in target_pg.databases()  # not ours: left alone


def test_an_unreachable_server_is_retried_then_fails_cleanly(
    alice_account, db_server, target_pg, fast_jobs
):
    dead = make_server(target_pg, name="dead", port=free_port())
    db_server.status = "retired"
    db_server.save()
    db, _ = services.create_database(alice_account, "shop", actor=alice_account.owner)
    assert db.server == dead
    run_jobs_inline()
    db.refresh_from_db()
    job = _job(db)
    assert job.state == JobState.FAILED and job.phase == JobPhase.ROLLBACK
    assert job.steps.get(name="create_role").attempts == 3
    assert db.state == ResourceState.FAILED
    assert db.error_message == (
        "The database server dead cannot be reached right now. Gave up after 3 attempts."
    )
    assert "Traceback" not in db.error_message
    assert "alice_shop" not in target_pg.roles() | target_pg.databases()


def test_an_admin_can_retry_a_failed_job_once_the_cause_is_fixed(
    alice_account, admin_user, db_server, target_pg
):
    target_pg.query("CREATE DATABASE alice_shop")
    db, password = services.create_database(alice_account, "shop", actor=alice_account.owner)
    run_jobs_inline()
    target_pg.query("DROP DATABASE alice_shop")
    job = job_services.retry_job(_job(db), actor=admin_user)
    db.refresh_from_db()
    assert db.state == ResourceState.PENDING
    run_jobs_inline()
    db.refresh_from_db()
    job.refresh_from_db()
    assert (db.state, job.state) == (ResourceState.ACTIVE, JobState.DONE)
    target_pg.connect("alice_shop", user="alice_shop", password=password).close()
    with pytest.raises(JobStateError):
        job_services.retry_job(job, actor=admin_user)


def test_an_admin_can_stop_a_job_that_keeps_retrying(
    alice_account, admin_user, db_server, target_pg, settings
):
    settings.PROVISIONING_RETRY_BASE_SECONDS = 3600
    make_server(target_pg, name="dead", port=free_port())
    db_server.status = "retired"
    db_server.save()
    db, _ = services.create_database(alice_account, "shop", actor=alice_account.owner)
    job = _job(db)
    assert runner.run_job(job.pk) == "retry scheduled"
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.PENDING, 1)
    assert job_services.can_rollback(job)
    job_services.rollback_job(job, actor=admin_user)
    assert runner.run_job(job.pk) == JobState.FAILED
    job.refresh_from_db()
    db.refresh_from_db()
    assert db.state == ResourceState.FAILED
    assert job.error_message == db.error_message == "Rolled back by an administrator."
    with pytest.raises(JobStateError):
        job_services.rollback_job(job, actor=admin_user)


def test_two_jobs_on_one_resource_never_run_at_once(alice_account, db_server, django_db_blocker):
    db, _ = services.create_database(alice_account, "shop", actor=alice_account.owner)
    job = _job(db)
    from django.conf import settings

    params = settings.DATABASES["default"]
    holder = psycopg.connect(
        host=params["HOST"],
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params["PASSWORD"],
        dbname=params["NAME"],
        autocommit=True,
    )
    try:
        holder.execute(
            "SELECT pg_advisory_lock(%s, hashtext(%s))", [runner.LOCK_NAMESPACE, db.lock_scope]
        )
        assert runner.run_job(job.pk) == "released: another job holds the lock"
        job.refresh_from_db()
        assert job.state == JobState.PENDING
        assert not job.steps.exclude(state=StepState.PENDING).exists()
    finally:
        holder.close()
    run_jobs_inline()
    db.refresh_from_db()
    assert db.state == ResourceState.ACTIVE


def test_jobs_on_one_resource_run_in_order(alice_account, db_server):
    db, _ = services.create_database(alice_account, "shop", actor=alice_account.owner)
    create_job = _job(db)
    Database.objects.filter(pk=db.pk).update(state=ResourceState.ACTIVE)  # let delete start
    services.delete_database(db, actor=alice_account.owner)
    delete_job = ProvisioningJob.objects.get(kind="database.delete")
    assert runner.run_job(delete_job.pk) == "released: waiting for an earlier job"
    assert runner.run_job(create_job.pk) == JobState.DONE


def test_a_job_behind_one_that_backs_off_waits_as_long_not_a_second(alice_account, db_server):
    db, _ = services.create_database(alice_account, "shop", actor=alice_account.owner)
    create_job = _job(db)
    later = timezone.now() + timedelta(minutes=10)  # the create job is backing off
    ProvisioningJob.objects.filter(pk=create_job.pk).update(next_attempt_at=later)
    Database.objects.filter(pk=db.pk).update(state=ResourceState.ACTIVE)
    services.delete_database(db, actor=alice_account.owner)
    delete_job = ProvisioningJob.objects.get(kind="database.delete")
    assert runner.run_job(delete_job.pk) == "released: waiting for an earlier job"
    delete_job.refresh_from_db()
    assert delete_job.state == JobState.PENDING and delete_job.next_attempt_at >= later
    ProvisioningJob.objects.filter(pk=create_job.pk).update(next_attempt_at=timezone.now())
    assert runner.run_job(create_job.pk) == JobState.DONE  # ... and then starts the next one
    delete_job.refresh_from_db()
    assert delete_job.next_attempt_at <= timezone.now()
    assert runner.run_job(delete_job.pk) == JobState.DONE


def test_a_claimed_job_is_not_run_twice(alice_account, db_server):
    db, _ = services.create_database(alice_account, "shop", actor=alice_account.owner)
    job = _job(db)
    assert runner.run_job(job.pk) == JobState.DONE
    assert runner.run_job(job.pk) == "not claimed"


def test_the_dispatcher_revives_stale_running_jobs(alice_account, db_server):
    db, _ = services.create_database(alice_account, "shop", actor=alice_account.owner)
    job = _job(db)
    ProvisioningJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, heartbeat_at=timezone.now()
    )
    assert dispatch.dispatch_stale(stale_seconds=3600)["revived"] == 0
    assert dispatch.dispatch_stale(stale_seconds=-1)["revived"] == 1
    job.refresh_from_db()
    assert job.state == JobState.PENDING


def test_deleting_a_database_drops_it_and_its_roles(alice_account, db_server, target_pg):
    db, _ = services.create_database(alice_account, "shop", actor=alice_account.owner)
    run_jobs_inline()
    db.refresh_from_db()
    role, _ = services.add_role(db, "shop_ro", privilege="readonly", actor=alice_account.owner)
    run_jobs_inline()
    role.refresh_from_db()
    assert role.state == ResourceState.ACTIVE
    services.delete_database(db, actor=alice_account.owner)
    run_jobs_inline()
    assert not Database.objects.filter(pk=db.pk).exists()
    assert not {"alice_shop", "alice_shop_ro"} & (target_pg.roles() | target_pg.databases())


def test_deleting_a_failed_database_leaves_what_the_panel_did_not_make(
    alice_account, db_server, target_pg
):
    target_pg.query("CREATE ROLE alice_legacy LOGIN")  # an older setup, made by hand
    target_pg.query("CREATE DATABASE alice_legacy OWNER alice_legacy")
    db, _ = services.create_database(alice_account, "legacy", actor=alice_account.owner)
    run_jobs_inline()
    db.refresh_from_db()
    assert db.error_message == "A role named alice_legacy already exists on the server."
    services.delete_database(db, actor=alice_account.owner)
    run_jobs_inline()
    assert not Database.objects.filter(pk=db.pk).exists()
    assert {"alice_legacy"} <= target_pg.databases() & target_pg.roles()


def test_a_suspended_account_cannot_create_databases_or_roles(alice_account, db_server):
    from accounts import services as account_services
    from provisioning.exceptions import NotVerified

    db, _ = services.create_database(alice_account, "shop", actor=alice_account.owner)
    run_jobs_inline()
    account_services.suspend_account(alice_account, actor=None)
    with pytest.raises(NotVerified, match="suspended"):
        services.create_database(alice_account, "blog", actor=alice_account.owner)
    with pytest.raises(NotVerified, match="suspended"):
        services.add_role(db, "reader", privilege="readonly", actor=alice_account.owner)
    assert Database.objects.count() == 1 and db.roles.count() == 1


def test_a_step_that_crashes_is_undone_and_the_customer_sees_no_internals(
    alice_account, db_server, target_pg
):
    from provisioning.databases import steps as database_kinds
    from provisioning.engine.jobs import create_job
    from provisioning.engine.registry import JobKind, Step, register

    def crash(ctx):
        raise ZeroDivisionError("division by zero in a step")

    register(
        JobKind(
            name="test.crash_after_role",
            role="database",
            steps=[
                Step(
                    "create_role", database_kinds.create_owner_role, database_kinds.drop_owner_role
                ),
                Step("crash", crash),
            ],
            running_state=ResourceState.PENDING,
            on_done=database_kinds.database_ready,
            on_failed=database_kinds.database_failed,
        )
    )
    db, _ = services.create_database(alice_account, "shop", actor=None)
    ProvisioningJob.objects.for_resource(db).delete()
    job = create_job("test.crash_after_role", db, server=db_server, lock_scope=db.lock_scope)
    run_jobs_inline()
    db.refresh_from_db()
    job.refresh_from_db()
    assert db.state == ResourceState.FAILED
    assert db.error_message == "An internal error stopped the operation."
    assert "ZeroDivisionError" in job.error_detail  # for the admins' job page
    assert "alice_shop" not in target_pg.roles()  # the role made before the crash is gone
