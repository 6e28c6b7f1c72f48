"""Privileges between the roles of one database, proved by logging in as each role.

Everything goes through the services and the job steps (run inline) against the real
target server, so the peers the step passes to the backend are part of what is tested.
"""

from __future__ import annotations

import psycopg
import pytest

from provisioning.databases import services
from provisioning.engine.backends import get_backend
from provisioning.engine.choices import JobState, ResourceState
from provisioning.models import Database, DatabaseRole, ProvisioningJob
from tests.provisioning.conftest import run_jobs_inline

DB = "alice_shop"


@pytest.fixture
def shop(alice_account, db_server):
    db, password = services.create_database(alice_account, "shop", actor=alice_account.owner)
    run_jobs_inline()
    db.refresh_from_db()
    assert db.state == ResourceState.ACTIVE
    return db, {DB: password}


def add(shop, name: str, privilege: str, actor) -> str:
    db, passwords = shop
    role, password = services.add_role(db, name, privilege=privilege, actor=actor)
    run_jobs_inline()
    role.refresh_from_db()
    assert role.state == ResourceState.ACTIVE, role.error_message
    passwords[role.name] = password
    return role.name


def sql_as(target_pg, shop, role: str, statement: str) -> list:
    with target_pg.connect(DB, user=role, password=shop[1][role]) as conn:
        cursor = conn.execute(statement)
        return cursor.fetchall() if cursor.description else []


def test_tables_of_an_all_role_reach_every_other_role(shop, target_pg, alice_account):
    actor = alice_account.owner
    writer = add(shop, "writer", "all", actor)
    editor = add(shop, "editor", "all", actor)
    reader = add(shop, "reader", "readonly", actor)
    sql_as(target_pg, shop, writer, "CREATE TABLE notes (id serial PRIMARY KEY, body text)")
    sql_as(target_pg, shop, writer, "INSERT INTO notes (body) VALUES ('by writer')")
    # Another "all" role and the owner write (serial: they need the sequence too).
    sql_as(target_pg, shop, editor, "INSERT INTO notes (body) VALUES ('by editor')")
    sql_as(target_pg, shop, DB, "INSERT INTO notes (body) VALUES ('by owner')")
    sql_as(target_pg, shop, DB, "UPDATE notes SET body = body || '!'")
    assert sql_as(target_pg, shop, reader, "SELECT count(*) FROM notes") == [(3,)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        sql_as(target_pg, shop, reader, "INSERT INTO notes (body) VALUES ('nope')")
    # The other way round: the writer and the reader use the editor's new table.
    sql_as(target_pg, shop, editor, "CREATE TABLE tags (id bigserial, name text)")
    sql_as(target_pg, shop, writer, "INSERT INTO tags (name) VALUES ('x')")
    sql_as(target_pg, shop, DB, "DELETE FROM tags WHERE name = 'nothing'")
    assert sql_as(target_pg, shop, reader, "SELECT name FROM tags") == [("x",)]


def test_existing_tables_reach_roles_created_afterwards(shop, target_pg, alice_account):
    actor = alice_account.owner
    sql_as(target_pg, shop, DB, "CREATE TABLE early (id int)")
    sql_as(target_pg, shop, DB, "INSERT INTO early VALUES (1)")
    writer = add(shop, "writer", "all", actor)
    sql_as(target_pg, shop, writer, "CREATE TABLE written (id int)")
    sql_as(target_pg, shop, writer, "INSERT INTO early VALUES (2)")
    sql_as(target_pg, shop, DB, "INSERT INTO written VALUES (1)")  # the owner uses it
    late_reader = add(shop, "late", "readonly", actor)
    late_writer = add(shop, "late_rw", "all", actor)
    assert sql_as(target_pg, shop, late_reader, "SELECT count(*) FROM early") == [(2,)]
    assert sql_as(target_pg, shop, late_reader, "SELECT count(*) FROM written") == [(1,)]
    sql_as(target_pg, shop, late_writer, "INSERT INTO written VALUES (3)")
    # Tables the owner makes later reach the reader too (future, not only existing).
    sql_as(target_pg, shop, DB, "CREATE TABLE later (id int)")
    sql_as(target_pg, shop, late_writer, "INSERT INTO later VALUES (4)")
    assert sql_as(target_pg, shop, late_reader, "SELECT id FROM later") == [(4,)]


def default_acl_rows(target_pg) -> list:
    return target_pg.query(
        "SELECT pg_get_userbyid(defaclrole), defaclobjtype, defaclacl::text FROM pg_default_acl "
        "ORDER BY 1, 2, 3",
        dbname=DB,
    )


def test_granting_again_changes_nothing(shop, target_pg, alice_account, db_server):
    actor = alice_account.owner
    add(shop, "writer", "all", actor)
    reader = add(shop, "reader", "readonly", actor)
    before = default_acl_rows(target_pg)
    assert any("alice_writer" in row[0] and "alice_reader=r/" in row[2] for row in before)
    backend = get_backend(db_server, "database")
    peers = {"alice_writer": "all", "alice_gone": "all"}  # a peer not on the server is skipped
    backend.ensure_privileges(DB, reader, "readonly", peers)
    backend.ensure_privileges(DB, reader, "readonly", peers)
    assert default_acl_rows(target_pg) == before


def test_removing_roles_and_the_database_leaves_nothing(shop, target_pg, alice_account):
    actor = alice_account.owner
    writer = add(shop, "writer", "all", actor)
    editor = add(shop, "editor", "all", actor)
    reader = add(shop, "reader", "readonly", actor)
    sql_as(target_pg, shop, writer, "CREATE TABLE notes (id serial, body text)")
    for name in (writer, reader):
        services.remove_role(DatabaseRole.objects.get(name=name), actor=actor)
    run_jobs_inline()
    assert ProvisioningJob.objects.exclude(state=JobState.DONE).count() == 0
    assert not {writer, reader} & target_pg.roles()
    mentioned = " ".join(" ".join(row) for row in default_acl_rows(target_pg))
    assert writer not in mentioned and reader not in mentioned and editor in mentioned
    # The writer's table went to the owner and is still shared with the remaining role.
    owner = target_pg.query("SELECT tableowner FROM pg_tables WHERE tablename = 'notes'", dbname=DB)
    assert owner == [(DB,)]
    sql_as(target_pg, shop, editor, "INSERT INTO notes (body) VALUES ('still works')")
    services.delete_database(Database.objects.get(name=DB), actor=actor)
    run_jobs_inline()
    assert ProvisioningJob.objects.exclude(state=JobState.DONE).count() == 0
    assert not Database.objects.exists()
    assert DB not in target_pg.databases()
    assert not {name for name in target_pg.roles() if name.startswith("alice_")}
