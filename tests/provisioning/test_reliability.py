"""Faults against the real processes: a managed server stopping, workers killed or stopped.

Issue 16 items 5, 6, 7 and 10, and the job page telling the truth about a finished job.
"""

from __future__ import annotations

import signal

import pytest
from django.urls import reverse

from panel.celery import app
from provisioning.databases import services
from provisioning.databases import steps as db_steps
from provisioning.engine import dispatch, runner
from provisioning.engine.choices import JobPhase, JobState, ResourceState, StepState
from provisioning.engine.drift import run_drift_check
from provisioning.engine.jobs import create_job
from provisioning.engine.models import ProvisioningJob
from provisioning.engine.registry import Step
from tests.provisioning import kinds
from tests.provisioning.conftest import run_jobs_inline, wait_for
from tests.provisioning.workers import kill_worker, start_worker


def _job(db) -> ProvisioningJob:
    return ProvisioningJob.objects.for_resource(db).get()


def test_a_done_job_forgets_an_earlier_attempts_error_and_its_page_says_how_it_ended(
    admin_client, alice_account, db_server, target_pg, fast_jobs
):
    db, _ = services.create_database(alice_account, "shop", actor=None)
    job = _job(db)
    target_pg.stop()
    try:
        assert runner.run_job(job.pk) == "retry scheduled"
    finally:
        target_pg.start()
    job.refresh_from_db()
    assert "cannot be reached" in job.error_message
    run_jobs_inline()
    job.refresh_from_db()
    assert (job.state, job.error_message, job.error_detail) == (JobState.DONE, "", "")
    assert job.attempts_total == 2
    page = admin_client.get(reverse("provisioning:job_detail", args=[job.pk])).content.decode()
    assert "<dt>Phase</dt><dd>Finished</dd>" in page
    assert "<dt>Attempts</dt><dd>2" in page
    assert "cannot be reached" not in page


_GOING_DOWN = {}


def _server_goes_down(ctx) -> None:
    """Fault injection: the managed server stops in the middle of the job."""
    _GOING_DOWN["cluster"].stop()
    ctx.backend.database_sizes([ctx.resource.name])  # the real error: connection refused


def test_cleanup_keeps_retrying_while_the_server_is_down_and_keeps_the_cause(
    admin_client, alice_account, db_server, target_pg, fast_jobs
):
    kind = kinds.kind(
        "test.server_goes_down",
        [
            Step("create_role", db_steps.create_owner_role, db_steps.drop_owner_role),
            Step("create_database", db_steps.create_database, db_steps.drop_database),
            Step("server_goes_down", _server_goes_down),
        ],
    )
    _GOING_DOWN["cluster"] = target_pg
    db, _ = services.create_database(alice_account, "shop", actor=None)
    ProvisioningJob.objects.for_resource(db).delete()
    job = create_job(kind.name, db, server=db_server, lock_scope=db.lock_scope)
    try:
        for _ in range(3 + 4):  # 3 forward attempts, then more cleanup attempts than that
            wait_for(lambda: ProvisioningJob.objects.get(pk=job.pk).next_attempt_at <= _now())
            runner.run_job(job.pk)
        job.refresh_from_db()
        db.refresh_from_db()
        cause = "The database server target cannot be reached right now. Gave up after 3 attempts."
        assert (job.state, job.phase, job.cleanup_pending) == (
            JobState.PENDING,
            JobPhase.ROLLBACK,
            True,
        )
        assert job.error_message == cause  # the forward cause, not the rollback's error
        assert "Cleanup pending" in job.error_detail
        assert db.state == ResourceState.FAILED  # the customer sees the failure already ...
        assert db.error_message.startswith(cause)  # ... why first, then that cleanup waits
        assert "Cleaning up on the server is pending" in db.error_message
        page = admin_client.get(reverse("provisioning:job_detail", args=[job.pk])).content
        assert b"Cleanup pending (retrying)" in page
        report = run_drift_check()  # what is left meanwhile, on which server
        left = {(f.kind, f.resource_label, f.server_id) for f in report.findings.all()}
        assert {
            ("cleanup", f"job #{job.pk} alice_shop: create_database", db_server.pk),
            ("cleanup", f"job #{job.pk} alice_shop: create_role", db_server.pk),
        } <= left
    finally:
        target_pg.start()
    run_jobs_inline()
    job.refresh_from_db()
    db.refresh_from_db()
    assert job.state == JobState.FAILED and job.error_message == cause
    assert "Rollback incomplete" not in job.error_detail
    assert db.error_message == cause  # cleanup done: only the cause remains
    assert not {"alice_shop"} & (target_pg.roles() | target_pg.databases())


def _now():
    from django.utils import timezone

    return timezone.now()


# --- workers that die or stop ---------------------------------------------------------------


def _database_job_paused_in_step_two(alice_account, db_server, settings, pause: str):
    """A create job whose worker (a real process) is inside create_database."""
    settings.PROVISIONING_PER_SERVER_QUEUES = True
    worker = start_worker(
        f"server.{db_server.pk}", PROVISIONING_TEST_PAUSE=f"create_database:{pause}"
    )
    db, _ = services.create_database(alice_account, "shop", actor=None)
    job = _job(db)
    step = job.steps.get(name="create_database")
    wait_for(lambda: job.steps.get(pk=step.pk).state == StepState.RUNNING, timeout=60)
    return db, job, worker


def _advisory_locks_held() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
        return cursor.fetchone()[0]


def _active(db) -> bool:
    return db.__class__.objects.filter(pk=db.pk, state=ResourceState.ACTIVE).exists()


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_job_whose_lock_is_free_is_taken_over_at_once(
    alice_account, db_server, target_pg, settings
):
    db, job, first = _database_job_paused_in_step_two(alice_account, db_server, settings, "120")
    kill_worker(first)  # its session ends, and the scope lock with it
    wait_for(lambda: not _advisory_locks_held(), timeout=10)  # the server let it go
    second = start_worker(f"server.{db_server.pk}")
    try:
        # What the broker does with an unacknowledged message: deliver it again.
        app.send_task(
            "provisioning.run_job", args=[job.pk, db_server.pk], queue=f"server.{db_server.pk}"
        )
        wait_for(lambda: _active(db), timeout=60)  # no dispatcher involved
    finally:
        kill_worker(second)
    job.refresh_from_db()
    assert job.state == JobState.DONE
    attempts = dict(job.steps.values_list("name", "attempts"))
    assert attempts == {"create_role": 1, "create_database": 2, "measure_size": 1}
    assert "alice_shop" in target_pg.databases()


@pytest.mark.django_db(transaction=True)
def test_a_dead_workers_job_resumes_on_the_dispatchers_next_tick(
    alice_account, db_server, target_pg, settings
):
    db, job, first = _database_job_paused_in_step_two(alice_account, db_server, settings, "120")
    second = None
    try:
        assert dispatch.dispatch_stale()["revived"] == 0  # alive and busy: left alone
        kill_worker(first)
        second = start_worker(f"server.{db_server.pk}")
        # Beat runs the dispatcher every 30 s; its first run after the death revives the
        # job (no heartbeat age to wait for: the dead worker's lock is free).
        assert settings.CELERY_BEAT_SCHEDULE["provisioning-dispatch-stale"]["schedule"] <= 30
        wait_for(lambda: dispatch.dispatch_stale()["revived"] == 1, timeout=10)
        wait_for(lambda: _active(db), timeout=60)
    finally:
        for worker in (first, second):
            if worker is not None:
                kill_worker(worker)
    assert ProvisioningJob.objects.get(pk=job.pk).state == JobState.DONE


@pytest.mark.django_db(transaction=True)
def test_sigterm_mid_step_lets_the_step_finish_and_the_job_is_not_lost(
    alice_account, db_server, target_pg, settings
):
    db, job, worker = _database_job_paused_in_step_two(alice_account, db_server, settings, "2")
    worker.send_signal(signal.SIGTERM)  # what a service manager sends to stop it
    assert worker.wait(timeout=60) == 0  # a warm shutdown, after the task ended
    job.refresh_from_db()
    step = job.steps.get(name="create_database")
    assert (step.state, step.attempts) == (StepState.DONE, 1)  # finished, not cut off
    # Whatever the stopped worker had not started is resumed by the next worker.
    replacement = start_worker(f"server.{db_server.pk}")
    try:
        dispatch.dispatch_stale(grace_seconds=0)
        wait_for(lambda: _active(db), timeout=60)
    finally:
        kill_worker(replacement)
    assert ProvisioningJob.objects.get(pk=job.pk).state == JobState.DONE
    assert "alice_shop" in target_pg.databases()
