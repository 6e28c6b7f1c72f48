"""End to end with real Celery workers (a thread, or a process we can kill)."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from panel.celery import app
from provisioning.engine import dispatch
from provisioning.engine.choices import JobState, ResourceState, StepState
from provisioning.models import Database, ProvisioningJob
from tests.broker import unreachable_broker
from tests.provisioning.conftest import make_server, wait_for
from tests.provisioning.pgcluster import free_port
from tests.provisioning.workers import kill_worker, start_worker

pytestmark = pytest.mark.django_db(transaction=True)
CREATE = reverse("provisioning:database_create")


def _password(response) -> str:
    return re.search(r'id="role-password">([^<]+)<', response.content.decode()).group(1)


def _state(name: str) -> str | None:
    return Database.objects.filter(name=name).values_list("state", flat=True).first()


def test_create_use_and_delete_through_the_views(alice_client, db_server, target_pg, celery_worker):
    response = alice_client.post(CREATE, {"name": "shop"})
    password = _password(response)
    wait_for(lambda: _state("alice_shop") == ResourceState.ACTIVE)
    with target_pg.connect("alice_shop", user="alice_shop", password=password) as conn:
        conn.execute("CREATE TABLE orders (id serial PRIMARY KEY, total numeric)")
        conn.execute("INSERT INTO orders (total) VALUES (9.5)")
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 1
    db = Database.objects.get(name="alice_shop")
    response = alice_client.post(
        reverse("provisioning:database_delete", args=[db.pk]), {"confirm": "alice_shop"}
    )
    assert response.status_code == 302
    wait_for(lambda: not Database.objects.filter(pk=db.pk).exists())
    assert "alice_shop" not in target_pg.databases()
    assert "alice_shop" not in target_pg.roles()
    job = ProvisioningJob.objects.get(kind="database.delete")
    assert job.state == JobState.DONE


def test_an_unreachable_server_retries_in_the_worker_then_fails(
    alice_client, db, target_pg, celery_worker, fast_jobs
):
    make_server(target_pg, name="dead", port=free_port())
    alice_client.post(CREATE, {"name": "shop"})
    wait_for(lambda: _state("alice_shop") == ResourceState.FAILED)
    job = ProvisioningJob.objects.get()
    assert job.steps.get(name="create_role").attempts == 3
    assert "cannot be reached" in Database.objects.get().error_message
    assert "alice_shop" not in target_pg.roles()


def test_a_job_submitted_while_the_broker_is_down_runs_when_it_is_back(
    alice_client, db_server, target_pg, celery_worker, settings
):
    with unreachable_broker():
        response = alice_client.post(CREATE, {"name": "shop"})
    assert response.status_code == 201  # the customer is not affected
    job = ProvisioningJob.objects.get()
    assert job.state == JobState.PENDING
    assert "alice_shop" not in target_pg.roles()
    settings.PROVISIONING_PENDING_GRACE_SECONDS = 0
    app.send_task("provisioning.dispatch_stale")  # what beat does every 30 s
    wait_for(lambda: _state("alice_shop") == ResourceState.ACTIVE)
    assert "alice_shop" in target_pg.databases()


def test_two_simultaneous_submissions_make_one_database(
    alice_account, db_server, target_pg, celery_worker
):
    results, barrier = [], threading.Barrier(2)

    def submit():
        client = Client()
        client.force_login(alice_account.owner)
        barrier.wait()
        try:
            results.append(client.post(CREATE, {"name": "shop"}).status_code)
        finally:
            connection.close()  # this thread's own database connection

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 201]
    assert Database.objects.count() == 1
    wait_for(lambda: _state("alice_shop") == ResourceState.ACTIVE)


def test_a_killed_worker_is_replaced_and_the_job_resumes(
    alice_client, db_server, target_pg, settings
):
    settings.PROVISIONING_PER_SERVER_QUEUES = True
    queue = f"server.{db_server.pk}"
    first = start_worker(queue, PROVISIONING_TEST_PAUSE="create_database:120")
    second = None
    try:
        alice_client.post(CREATE, {"name": "shop"})
        job = ProvisioningJob.objects.get()
        step = job.steps.get(name="create_database")
        wait_for(lambda: job.steps.get(pk=step.pk).state == StepState.RUNNING, timeout=60)
        kill_worker(first)  # mid-job: the role exists, the database step was under way
        assert "alice_shop" in target_pg.roles()
        second = start_worker(queue)
        # Beat's dispatcher notices the job has lost its worker and sends it again.
        wait_for(lambda: dispatch.dispatch_stale()["revived"], timeout=30)
        wait_for(lambda: _state("alice_shop") == ResourceState.ACTIVE, timeout=60)
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                kill_worker(worker)
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.steps.get(name="create_role").attempts == 1
    assert job.steps.get(name="create_database").attempts == 2
    owner = target_pg.query(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'alice_shop'"
    )
    assert owner == [("alice_shop",)]


def test_per_server_routing_puts_jobs_on_the_servers_queue(alice_account, db_server, settings):
    import redis

    from provisioning.databases import services

    settings.PROVISIONING_PER_SERVER_QUEUES = True
    queue = f"server.{db_server.pk}"
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(queue)
    services.create_database(alice_account, "shop", actor=None)  # commits: on_commit fires
    assert client.llen(queue) == 1
    client.delete(queue)


def test_an_incomplete_rollback_is_finished_by_an_admin(
    alice_client, admin_user, db_server, target_pg, celery_worker, settings
):
    from provisioning.engine import services as job_services

    target_pg.query("CREATE DATABASE alice_shop")  # the collision that fails step 2
    settings.PROVISIONING_TEST_PAUSE = "create_database:1.5"
    alice_client.post(CREATE, {"name": "shop"})
    job = ProvisioningJob.objects.get()
    wait_for(lambda: job.steps.get(name="create_role").state == StepState.DONE)
    # While step 2 runs, something on the server starts depending on the new role.
    target_pg.query("GRANT CONNECT ON DATABASE alice_shop TO alice_shop")
    wait_for(lambda: _state("alice_shop") == ResourceState.FAILED)
    job.refresh_from_db()
    assert "Rollback incomplete" in job.error_detail
    role_step = job.steps.get(name="create_role")
    assert role_step.state == StepState.DONE and "undo failed" in role_step.log
    assert "alice_shop" in target_pg.roles()
    assert job_services.can_rollback(job)
    settings.PROVISIONING_TEST_PAUSE = ""
    target_pg.query("REVOKE CONNECT ON DATABASE alice_shop FROM alice_shop")
    job_services.rollback_job(job, actor=admin_user)
    wait_for(lambda: job.steps.get(name="create_role").state == StepState.ROLLED_BACK)
    wait_for(lambda: ProvisioningJob.objects.get(pk=job.pk).state == JobState.FAILED)
    assert "alice_shop" not in target_pg.roles()
    assert "alice_shop" in target_pg.databases()  # never ours
