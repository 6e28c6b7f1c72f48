"""The managed database server is a cluster of its own, checking every login (issue 10.11).

`make run` registers the stack's `dbserver` cluster (PROVISIONING_PG_URL) as the default
database server. A customer's database is created there by the real job; its role then
gets in with its password only, and reaches neither other databases nor the panel's.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command

from provisioning.databases import services as databases
from provisioning.engine import runner
from provisioning.models import Database, ProvisioningJob, Server
from tests import dbserver


def _login(role: str, password: str, dbname: str, *, panel: bool = False) -> psycopg.Connection:
    where = settings.DATABASES["default"] if panel else None
    host = where["HOST"] if where else urlsplit(settings.PROVISIONING_PG_URL).hostname
    port = where["PORT"] if where else urlsplit(settings.PROVISIONING_PG_URL).port
    return psycopg.connect(
        host=host, port=port, user=role, password=password, dbname=dbname, connect_timeout=5
    )


@pytest.fixture
def customer_db(alice_account):
    call_command("ensure_default_db_server")
    db, password = databases.create_database(
        alice_account, f"t{secrets.token_hex(4)}", actor=alice_account.owner
    )
    job = ProvisioningJob.objects.get(resource_id=db.pk)
    assert runner.run_job(job.pk) == "done"
    yield Database.objects.get(pk=db.pk), password
    dbserver.drop([db.name], [db.owner_role])


def test_the_default_database_server_is_the_stacks_own_cluster_not_the_panels(db):
    call_command("ensure_default_db_server")
    server = Server.objects.get(name="local")
    port = server.settings_for("database")["port"]
    assert port == urlsplit(settings.PROVISIONING_PG_URL).port
    assert str(port) != str(settings.DATABASES["default"]["PORT"])


def test_every_login_on_the_database_server_is_checked_with_scram():
    with dbserver.superuser() as conn:
        rules = conn.execute("SELECT type, auth_method FROM pg_hba_file_rules").fetchall()
        public = conn.execute(
            "SELECT datname FROM pg_database WHERE datallowconn "
            "AND has_database_privilege('public', oid, 'CONNECT')"
        ).fetchall()
    assert rules and all(method == "scram-sha-256" for _, method in rules)
    assert public == []


def test_a_customer_role_logs_in_with_its_password_only(customer_db):
    db, password = customer_db
    with _login(db.owner_role, password, db.name) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (
            db.owner_role,
            db.name,
        )
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _login(db.owner_role, password + "x", db.name)


def test_a_customer_role_reaches_no_other_database(customer_db):
    db, password = customer_db
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        _login(db.owner_role, password, "postgres")


def test_a_customer_role_cannot_connect_to_the_panels_database(customer_db):
    db, password = customer_db
    panel_db = settings.DATABASES["default"]["NAME"]
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _login(db.owner_role, password, panel_db, panel=True)
