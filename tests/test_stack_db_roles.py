"""The panel runs as a role that cannot get around the append-only audit log (issue 10.2).

The whole suite connects as DATABASE_URL's role; migrations ran as DATABASE_OWNER_URL's.
Each bypass a superuser or table owner has is refused to the runtime role.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from panel import dbroles
from security import audit
from security.models import AuditEvent

AUDIT = AuditEvent._meta.db_table
CHANGES = (f"UPDATE {AUDIT} SET action = 'forged'", f"DELETE FROM {AUDIT}")  # noqa: S608


def _refused(statement: str) -> str:
    """Run STATEMENT as the runtime role in a savepoint; return PostgreSQL's refusal."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement)
    cause = caught.value.__cause__
    assert cause.sqlstate == "42501", cause  # insufficient_privilege
    return str(cause)


@pytest.fixture
def event(db):
    return audit.record(None, "test.role_split", n=1)


def _current_role() -> tuple[str, bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolname, rolsuper FROM pg_roles WHERE rolname = current_user")
        return cursor.fetchone()


def test_the_suite_runs_as_the_runtime_role_which_is_no_superuser_and_owns_nothing(db):
    name, superuser = _current_role()
    assert name == settings.DATABASES["default"]["USER"]
    assert name != settings.DATABASE_OWNER["USER"]
    assert superuser is False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relowner = current_user::regrole"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = %s", [AUDIT])
        assert cursor.fetchone()[0] == settings.DATABASE_OWNER["USER"]


def test_replication_role_cannot_be_switched_to_skip_triggers(event):
    assert "session_replication_role" in _refused("SET session_replication_role = replica")


def test_the_audit_trigger_cannot_be_disabled(event):
    assert "must be owner" in _refused(f"ALTER TABLE {AUDIT} DISABLE TRIGGER ALL")


def test_the_audit_table_cannot_be_truncated(event):
    assert "permission denied for table" in _refused(f"TRUNCATE {AUDIT}")


@pytest.mark.parametrize("statement", CHANGES)
def test_audit_rows_cannot_be_changed_or_deleted_by_privilege(event, statement):
    # "permission denied", not the trigger's "append-only": the grant itself is missing.
    assert "permission denied for table" in _refused(statement)
    assert AuditEvent.objects.filter(pk=event.pk, action="test.role_split").exists()


@pytest.mark.django_db(transaction=True)
def test_the_owner_is_still_stopped_by_the_append_only_trigger():
    event = audit.record(None, "test.role_split", n=2)
    with dbroles.as_owner() as owner, owner.cursor() as cursor:
        assert owner.settings_dict["USER"] == settings.DATABASE_OWNER["USER"]
        for statement in CHANGES:
            with pytest.raises(DatabaseError, match="append-only"):
                cursor.execute(statement)
    assert AuditEvent.objects.get(pk=event.pk).action == "test.role_split"


def test_the_runtime_role_still_appends_and_reads_audit_events(event):
    assert AuditEvent.objects.get(pk=event.pk).details == {"n": 1}


def test_tables_created_after_migrate_are_granted_by_default(db):
    """Monitoring's daily partitions are made at run time by the owner's function."""
    from datetime import date

    from monitoring import storage

    day = date(2001, 2, 3)
    assert storage.ensure_partitions([day]) == [storage.partition_name(day)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {storage.partition_name(day)}")  # noqa: S608
        assert cursor.fetchone() == (0,)
