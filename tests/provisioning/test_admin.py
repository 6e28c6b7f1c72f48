"""Administrators' pages: servers, jobs, drift; and the server registration command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from provisioning.databases import services
from provisioning.databases.checks import refresh_database_sizes
from provisioning.engine.choices import JobState, ResourceState
from provisioning.engine.drift import run_drift_check
from provisioning.models import Database, DriftReport, ProvisioningJob, Server
from tests.provisioning.conftest import bulk_databases, make_server, run_jobs_inline, wait_for
from tests.provisioning.pgcluster import free_port

ROOT = Path(__file__).resolve().parents[2]


def _server_post(target_pg, **overrides):
    data = {
        "name": "db2",
        "address": "127.0.0.1",
        "roles": ["database"],
        "db_port": target_pg.port,
        "db_user": "postgres",
        "db_name": "postgres",
        "db_sslmode": "disable",
        "db_password": target_pg.password,
    }
    return {**data, **overrides}


def test_an_admin_adds_a_server_whose_password_is_stored_encrypted(admin_client, target_pg, db):
    response = admin_client.post(reverse("provisioning:server_create"), _server_post(target_pg))
    assert response.status_code == 302
    server = Server.objects.get(name="db2")
    assert server.settings_for("database")["port"] == target_pg.port
    assert server.credentials_for("database") == {"password": target_pg.password}
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials_encrypted, connection::text FROM provisioning_server WHERE id = %s",
            [server.pk],
        )
        raw, settings_text = cursor.fetchone()
    assert target_pg.password not in raw and target_pg.password not in settings_text
    assert raw.startswith("gAAAA")  # a Fernet token


def test_editing_a_server_without_a_password_keeps_the_stored_one(admin_client, target_pg, db):
    admin_client.post(reverse("provisioning:server_create"), _server_post(target_pg))
    server = Server.objects.get(name="db2")
    url = reverse("provisioning:server_edit", args=[server.pk])
    assert f'value="{target_pg.port}"' in admin_client.get(url).content.decode()
    admin_client.post(url, _server_post(target_pg, address="localhost", db_password=""))
    server.refresh_from_db()
    assert server.address == "localhost"
    assert server.credentials_for("database") == {"password": target_pg.password}


def test_test_connection_runs_a_real_check(admin_client, target_pg, db):
    good = make_server(target_pg, name="good")
    bad = make_server(target_pg, name="bad", port=free_port())
    response = admin_client.post(reverse("provisioning:server_test", args=[good.pk]), follow=True)
    assert "database: PostgreSQL 1" in response.content.decode()
    response = admin_client.post(reverse("provisioning:server_test", args=[bad.pk]), follow=True)
    assert "cannot be reached right now" in response.content.decode()
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.last_check_ok, bad.last_check_ok) == (True, False)
    listing = admin_client.get(reverse("provisioning:server_list")).content.decode()
    assert listing.count("cannot be reached right now") == 2  # title, and shown in the row


def test_a_retired_server_gets_no_new_databases(admin_client, alice_account, db_server):
    admin_client.post(reverse("provisioning:server_retire", args=[db_server.pk]))
    db_server.refresh_from_db()
    assert db_server.status == "retired"
    from provisioning.exceptions import NoServerAvailable

    with pytest.raises(NoServerAvailable):
        services.create_database(alice_account, "shop", actor=None)


def test_customers_cannot_open_admin_pages(alice_client, db_server):
    for name in ("server_list", "server_create", "admin_databases", "job_list", "drift"):
        assert alice_client.get(reverse(f"provisioning:{name}")).status_code == 403


def test_server_list_has_a_fixed_number_of_queries(
    admin_client, target_pg, db, django_assert_num_queries
):
    for index in range(3):
        make_server(target_pg, name=f"s{index}")
    url = reverse("provisioning:server_list")
    admin_client.get(url)
    with django_assert_num_queries(4):
        assert "s2" in admin_client.get(url).content.decode()


def test_job_pages_show_the_step_log_and_retry_a_failed_job(
    admin_client, alice_account, db_server, target_pg
):
    target_pg.query("CREATE DATABASE alice_shop")
    db, _ = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    job = ProvisioningJob.objects.get()
    body = admin_client.get(reverse("provisioning:job_list"), {"state": "failed"}).content.decode()
    assert "database.create" in body
    body = admin_client.get(reverse("provisioning:job_detail", args=[job.pk])).content.decode()
    assert "A database named alice_shop already exists on the server." in body
    assert "role alice_shop created" in body and "Rolled back" in body
    assert reverse("provisioning:job_retry", args=[job.pk]) in body
    target_pg.query("DROP DATABASE alice_shop")
    admin_client.post(reverse("provisioning:job_retry", args=[job.pk]))
    run_jobs_inline()
    job.refresh_from_db()
    db.refresh_from_db()
    assert (job.state, db.state) == (JobState.DONE, ResourceState.ACTIVE)
    response = admin_client.post(reverse("provisioning:job_rollback", args=[job.pk]), follow=True)
    assert "This job has nothing to roll back." in response.content.decode()


def test_drift_check_reports_differences_and_changes_nothing(
    alice_account, bob_account, db_server, target_pg
):
    for account in (alice_account, bob_account):
        services.create_database(account, "shop", actor=None)
    services.create_database(alice_account, "blog", actor=None)
    run_jobs_inline()
    target_pg.query("DROP DATABASE alice_shop WITH (FORCE)")
    target_pg.query("ALTER DATABASE bob_shop OWNER TO postgres")
    report = run_drift_check()
    problems = {f.resource_label: f.problem for f in report.findings.all()}
    assert problems == {
        "alice_shop": "Missing on the server.",
        "bob_shop": "Owned by postgres on the server, expected bob_shop.",
    }
    assert report.checked == 3
    assert set(Database.objects.values_list("state", flat=True)) == {ResourceState.ACTIVE}


@pytest.mark.django_db(transaction=True)
def test_the_drift_button_runs_a_check_in_the_worker(
    admin_client, alice_account, db_server, target_pg, celery_worker
):
    services.create_database(alice_account, "shop", actor=None)
    wait_for(lambda: Database.objects.filter(state=ResourceState.ACTIVE).exists())
    target_pg.query("DROP DATABASE alice_shop WITH (FORCE)")
    admin_client.post(reverse("provisioning:drift_run"))
    wait_for(lambda: DriftReport.objects.filter(finished_at__isnull=False).exists())
    body = admin_client.get(reverse("provisioning:drift")).content.decode()
    assert "alice_shop" in body and "Missing on the server." in body


def test_sizes_come_from_the_server(alice_account, db_server, target_pg):
    db, password = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    db.refresh_from_db()
    before = db.size_bytes
    with target_pg.connect("alice_shop", user="alice_shop", password=password) as conn:
        conn.execute(
            "CREATE TABLE big AS SELECT repeat('x', 1000) AS t FROM generate_series(1, 5000)"
        )
    assert refresh_database_sizes() == 1
    db.refresh_from_db()
    actual = target_pg.query("SELECT pg_database_size('alice_shop')")[0][0]
    assert db.size_bytes == actual > before


def test_ensure_default_db_server_is_idempotent(db, target_pg, capsys):
    url = f"postgres://postgres:{target_pg.password}@127.0.0.1:{target_pg.port}/hearth"
    call_command("ensure_default_db_server", url=url)
    call_command("ensure_default_db_server", url=url)
    server = Server.objects.get()
    assert (server.name, server.roles) == ("local", ["database"])
    out = capsys.readouterr().out
    assert "registered" in out
    from provisioning.engine.backends import get_backend

    assert get_backend(server, "database").check().startswith("PostgreSQL")


def test_production_refuses_to_start_without_an_encryption_key():
    env = {key: value for key, value in os.environ.items() if key not in ("HEARTH_DEV", "DEBUG")}
    env.update(SECRET_KEY="x" * 50, FIELD_ENCRYPTION_KEY="", HEARTH_DEV="false")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "panel.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set" in result.stderr


def test_the_sidebar_links_to_databases(alice_client, db):
    body = alice_client.get(reverse("home"), follow=True).content.decode()
    assert reverse("provisioning:database_list") in body


def test_admin_lists_have_a_fixed_number_of_queries(
    admin_client, alice_account, bob_account, db_server, django_assert_num_queries
):
    for account in (alice_account, bob_account):
        for name in ("one", "two"):
            services.create_database(account, name, actor=None)
    for name, expected in (("admin_databases", 5), ("job_list", 4)):
        url = reverse(f"provisioning:{name}")
        admin_client.get(url)
        with django_assert_num_queries(expected):
            body = admin_client.get(url).content.decode()
        assert "bob_two" in body and "alice_one" in body


@pytest.mark.parametrize(("name", "queries"), [("admin_databases", 5), ("job_list", 4)])
def test_long_admin_lists_are_paginated_with_the_same_number_of_queries(
    admin_client, alice_account, bob_account, db_server, django_assert_num_queries, name, queries
):
    bulk_databases(alice_account, db_server, 40)
    bulk_databases(bob_account, db_server, 25)
    url = reverse(f"provisioning:{name}")
    admin_client.get(url)
    with django_assert_num_queries(queries):
        first = admin_client.get(url).content.decode()
    with django_assert_num_queries(queries):
        second = admin_client.get(url, {"page": 2}).content.decode()
    assert "Page 1 of 2 · 65 total" in first and "Page 2 of 2" in second
    assert "Alice Shop" in first + second and "Bob Garage" in first + second


def test_the_drift_page_paginates_a_long_report(
    admin_client, alice_account, db_server, django_assert_num_queries
):
    bulk_databases(alice_account, db_server, 55)  # rows only: all missing on the server
    run_drift_check()
    url = reverse("provisioning:drift")
    admin_client.get(url)
    with django_assert_num_queries(5):
        first = admin_client.get(url).content.decode()
    assert first.count("Missing on the server.") == 50 and "Page 1 of 2 · 55 total" in first
    second = admin_client.get(url, {"page": 2}).content.decode()
    assert second.count("Missing on the server.") == 5


def test_unreadable_credentials_give_a_clear_error_and_can_be_entered_again(
    admin_client, alice_account, db_server, target_pg
):
    Server.objects.filter(pk=db_server.pk).update(credentials_encrypted="not-a-fernet-token")
    response = admin_client.post(
        reverse("provisioning:server_test", args=[db_server.pk]), follow=True
    )
    assert "The panel cannot use server target right now." in response.content.decode()
    assert "FIELD_ENCRYPTION_KEY changed?" in response.content.decode()
    db, _ = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    db.refresh_from_db()
    assert (db.state, db.error_message) == (
        ResourceState.FAILED,
        "The panel cannot use server target right now.",
    )
    edit = reverse("provisioning:server_edit", args=[db_server.pk])
    response = admin_client.post(edit, _server_post(target_pg, name="target"))  # new password
    assert response.status_code == 302
    response = admin_client.post(
        reverse("provisioning:server_test", args=[db_server.pk]), follow=True
    )
    assert "database: PostgreSQL 1" in response.content.decode()


def test_real_data_on_the_server_uses_up_the_disk_quota(alice_account, db_server, target_pg):
    from provisioning.exceptions import QuotaExceeded

    db, password = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    plan = alice_account.plan
    plan.disk_quota_mb = services.disk_used_mb(alice_account) + 2  # room for 2 MB more
    plan.save()
    with target_pg.connect("alice_shop", user="alice_shop", password=password) as conn:
        conn.execute(
            "CREATE TABLE big AS SELECT md5(i::text) AS a, md5((-i)::text) AS b, "
            "md5((i * 7)::text) AS c FROM generate_series(1, 40000) AS i"  # about 6 MB
        )
    assert services.disk_used_mb(alice_account) < plan.disk_quota_mb  # not measured yet
    refresh_database_sizes()  # the beat task: pg_database_size of every active database
    assert services.disk_used_mb(alice_account) >= plan.disk_quota_mb
    with pytest.raises(QuotaExceeded, match="disk quota"):
        services.create_database(alice_account, "third", actor=None)


def test_the_job_page_follows_an_unfinished_job(admin_client, alice_account, db_server):
    db, _ = services.create_database(alice_account, "shop", actor=None)
    job = ProvisioningJob.objects.get()
    url = reverse("provisioning:job_detail", args=[job.pk])
    fragment = admin_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "<html" not in fragment
    assert "create_role" in fragment
    run_jobs_inline()
    response = admin_client.get(url, headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"
    assert "hx-trigger" not in admin_client.get(url).content.decode()
