"""Drift that can be acted on (issue 10 item 12), against the real managed server: strays
with an account's prefix are listed, dropped by an admin (typed, audited), and a database
the server lost is created again."""

from __future__ import annotations

from django.urls import reverse

from provisioning.databases import services
from provisioning.databases.models import Database
from provisioning.engine.choices import ResourceState
from provisioning.engine.drift import run_drift_check
from provisioning.engine.models import DriftFinding
from security.models import AuditEvent
from tests.provisioning.conftest import run_jobs_inline


def _findings() -> dict[str, DriftFinding]:
    report = run_drift_check()
    return {finding.resource_label: finding for finding in report.findings.all()}


def test_strays_with_an_accounts_prefix_are_listed_and_others_are_not(
    alice_account, bob_account, db_server, target_pg
):
    db, _ = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    target_pg.query("CREATE ROLE alice_old LOGIN")
    target_pg.query("CREATE DATABASE alice_old OWNER alice_old")
    target_pg.query("CREATE ROLE bob_x")
    target_pg.query("CREATE DATABASE unrelated")
    report = run_drift_check()
    found = sorted(
        (f.kind, f.resource_label, f.account_id) for f in report.findings.exclude(kind="cleanup")
    )
    assert found == [
        ("database_stray", "alice_old", alice_account.pk),
        ("role_stray", "alice_old", alice_account.pk),
        ("role_stray", "bob_x", bob_account.pk),
    ]  # not "unrelated" (no account's prefix), not alice_shop (the panel's own)


def test_an_admin_drops_a_stray_after_typing_its_name(
    admin_client, alice_account, db_server, target_pg
):
    target_pg.query("CREATE DATABASE alice_old")
    run_drift_check()
    finding = DriftFinding.objects.get(kind="database_stray", resource_label="alice_old")
    url = reverse("provisioning:drift_drop", args=[finding.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and b"Type <code>alice_old</code>" in page.content
    wrong = admin_client.post(url, {"confirm": "alice"})
    assert b"Type alice_old exactly to confirm." in wrong.content
    assert admin_client.post(url, {"confirm": "alice_old"}).status_code == 302
    run_jobs_inline()
    assert "alice_old" not in target_pg.databases()
    finding.refresh_from_db()
    assert finding.resolution == "Dropped."
    event = AuditEvent.objects.get(action="drift.stray_dropped")
    assert event.details["name"] == "alice_old" and event.details["server"] == "target"
    again = admin_client.post(url, {"confirm": "alice_old"})
    assert b"not a stray that can be dropped" in again.content


def test_a_customer_cannot_drop_strays(alice_client, alice_account, db_server, target_pg):
    target_pg.query("CREATE ROLE alice_old")
    run_drift_check()
    finding = DriftFinding.objects.get(resource_label="alice_old")
    response = alice_client.post(
        reverse("provisioning:drift_drop", args=[finding.pk]), {"confirm": "alice_old"}
    )
    assert response.status_code in (403, 404)
    run_jobs_inline()
    assert "alice_old" in target_pg.roles()


def test_a_database_the_server_lost_is_created_again(
    admin_client, alice_account, db_server, target_pg
):
    db, password = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    target_pg.query("DROP DATABASE alice_shop")
    finding = _findings()["alice_shop"]
    assert finding.problem == "Missing on the server."
    page = admin_client.get(reverse("provisioning:drift")).content.decode()
    assert reverse("provisioning:drift_recreate", args=[finding.pk]) in page
    admin_client.post(reverse("provisioning:drift_recreate", args=[finding.pk]))
    db.refresh_from_db()
    assert db.state == ResourceState.PENDING
    run_jobs_inline()
    db.refresh_from_db()
    assert db.state == ResourceState.ACTIVE
    with target_pg.connect("alice_shop", user="alice_shop", password=password) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "alice_shop"
    assert AuditEvent.objects.filter(action="drift.database_recreated").exists()
    assert "alice_shop" not in _findings()


def test_an_admin_adopts_a_stray_database_and_its_customer_sets_a_password(
    admin_client, alice_account, db_server, target_pg
):
    target_pg.query("CREATE ROLE alice_old LOGIN")
    target_pg.query("CREATE DATABASE alice_old OWNER alice_old")
    run_drift_check()
    finding = DriftFinding.objects.get(kind="database_stray", resource_label="alice_old")
    admin_client.post(reverse("provisioning:drift_adopt", args=[finding.pk]))
    run_jobs_inline()
    db = Database.objects.get(name="alice_old")
    assert (db.account, db.state, db.owner_role) == (
        alice_account,
        ResourceState.ACTIVE,
        "alice_old",
    )
    marker = target_pg.query(
        "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = 'alice_old'"
    )
    assert marker == [("managed by hearth",)]
    assert AuditEvent.objects.filter(action="drift.stray_adopted").exists()
    role = db.roles.get(is_owner=True)
    role, password = services.reset_role_password(role, actor=None)
    run_jobs_inline()
    with target_pg.connect("alice_old", user="alice_old", password=password) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "alice_old"
    assert "alice_old" not in {f.resource_label for f in run_drift_check().findings.all()}


def test_a_database_owned_by_another_role_is_not_adopted(
    admin_client, alice_account, db_server, target_pg
):
    target_pg.query("CREATE ROLE alice_someone")
    target_pg.query("CREATE DATABASE alice_other OWNER alice_someone")
    run_drift_check()
    finding = DriftFinding.objects.get(kind="database_stray", resource_label="alice_other")
    admin_client.post(reverse("provisioning:drift_adopt", args=[finding.pk]))
    run_jobs_inline()
    db = Database.objects.get(name="alice_other")
    assert db.state == ResourceState.FAILED
    assert "owned by alice_someone" in db.error_message
    marker = target_pg.query(
        "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = 'alice_someone'"
    )
    assert marker == [(None,)]  # nothing of someone else's was marked as the panel's
