"""The PostgreSQL backend against a real target server."""

from __future__ import annotations

import psycopg
import pytest

from provisioning.databases import scram
from provisioning.engine.backends import BackendError, get_backend
from tests.provisioning.conftest import make_server


@pytest.fixture
def backend(db_server):
    return get_backend(db_server, "database")


def test_check_reports_the_server_version(backend):
    assert backend.check().startswith("PostgreSQL 1")


def test_a_role_logs_in_with_the_password_behind_its_verifier(backend, target_pg):
    assert backend.ensure_role("alice_app", scram.verifier("s3cret-Password!")) is True
    with target_pg.connect(user="alice_app", password="s3cret-Password!") as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "alice_app"
    with pytest.raises(psycopg.OperationalError):
        target_pg.connect(user="alice_app", password="wrong-password")


def test_ensure_role_is_idempotent_and_refuses_foreign_roles(backend, target_pg):
    verifier = scram.verifier("another-Password-1")
    assert backend.ensure_role("alice_app", verifier) is True
    assert backend.ensure_role("alice_app", verifier) is False
    target_pg.query("CREATE ROLE alice_other LOGIN")
    with pytest.raises(BackendError) as caught:
        backend.ensure_role("alice_other", verifier)
    assert caught.value.permanent
    assert backend.remove_role("alice_other") == "foreign"
    assert "alice_other" in target_pg.roles()


def test_a_database_is_owned_by_its_role_and_closed_to_public(backend, target_pg):
    backend.ensure_role("alice_shop", scram.verifier("Owner-password-1"))
    assert backend.ensure_database("alice_shop", "alice_shop", connection_limit=7) is True
    assert backend.ensure_database("alice_shop", "alice_shop", connection_limit=7) is False
    owner, limit, acl = target_pg.query(
        "SELECT pg_get_userbyid(datdba), datconnlimit, datacl::text FROM pg_database "
        "WHERE datname = 'alice_shop'"
    )[0]
    assert (owner, limit) == ("alice_shop", 7)
    assert "=Tc/" not in acl and "=c/" not in acl  # no PUBLIC connect/temp grant
    backend.ensure_role("bob_spy", scram.verifier("Spy-password-123"))
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        target_pg.connect("alice_shop", user="bob_spy", password="Spy-password-123")


def test_removal_leaves_databases_it_does_not_own(backend, target_pg):
    target_pg.query("CREATE DATABASE alice_taken")
    with pytest.raises(BackendError):
        backend.ensure_database("alice_taken", "postgres_not_ours", connection_limit=5)
    assert backend.remove_database("alice_taken", owner="alice_taken") == "foreign"
    assert "alice_taken" in target_pg.databases()


def test_removal_leaves_a_database_whose_same_named_owner_is_not_ours(backend, target_pg):
    target_pg.query("CREATE ROLE alice_legacy LOGIN")
    target_pg.query("CREATE DATABASE alice_legacy OWNER alice_legacy")
    assert backend.remove_database("alice_legacy", owner="alice_legacy") == "foreign"
    assert "alice_legacy" in target_pg.databases()


def test_removal_terminates_sessions_and_drops(backend, target_pg):
    backend.ensure_role("alice_busy", scram.verifier("Busy-password-1"))
    backend.ensure_database("alice_busy", "alice_busy", connection_limit=5)
    session = target_pg.connect("alice_busy", user="alice_busy", password="Busy-password-1")
    assert backend.remove_database("alice_busy", owner="alice_busy") == "dropped"
    assert backend.remove_role("alice_busy") == "dropped"
    assert "alice_busy" not in target_pg.databases() | target_pg.roles()
    assert backend.remove_database("alice_busy", owner="alice_busy") == "absent"
    session.close()


@pytest.mark.parametrize("name", ['alice"; DROP ROLE postgres; --', "Alice", "postgres", "a b"])
def test_the_backend_validates_names_again(backend, name, target_pg):
    with pytest.raises(BackendError, match="invalid name"):
        backend.ensure_role(name, scram.verifier("Whatever-pass-1"))
    assert "postgres" in target_pg.roles()


def test_readonly_role_can_read_but_not_write(backend, target_pg):
    backend.ensure_role("alice_db", scram.verifier("Owner-password-1"))
    backend.ensure_database("alice_db", "alice_db", connection_limit=5)
    with target_pg.connect("alice_db", user="alice_db", password="Owner-password-1") as conn:
        conn.execute("CREATE TABLE items (id int)")
        conn.execute("INSERT INTO items VALUES (1)")
    backend.ensure_role("alice_ro", scram.verifier("Reader-password-1"))
    backend.ensure_privileges("alice_db", "alice_ro", "readonly")
    with target_pg.connect("alice_db", user="alice_ro", password="Reader-password-1") as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO items VALUES (2)")
    assert backend.remove_role("alice_ro", database="alice_db", reassign_to="alice_db") == "dropped"


def test_an_unreachable_server_is_a_transient_error(db, target_pg):
    from tests.provisioning.pgcluster import free_port

    server = make_server(target_pg, name="nowhere", port=free_port())
    with pytest.raises(BackendError) as caught:
        get_backend(server, "database").check()
    assert caught.value.permanent is False
    assert "cannot be reached" in caught.value.message


def test_a_wrong_password_is_a_permanent_error(db, target_pg):
    server = make_server(target_pg, name="badpass")
    server.set_role_connection("database", server.settings_for("database"), {"password": "x"})
    with pytest.raises(BackendError) as caught:
        get_backend(server, "database").check()
    assert caught.value.permanent is True
