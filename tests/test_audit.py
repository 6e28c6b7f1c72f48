import pytest
from django.db import DatabaseError, connection, transaction

from security import audit
from security.models import AuditEvent


def test_it_records_actor_target_and_details(rf, admin_user, alice_account):
    request = rf.post("/", HTTP_USER_AGENT="pytest-agent", REMOTE_ADDR="192.0.2.7")
    request.user = admin_user
    event = audit.record(request, "account.updated", target=alice_account, note="hello")
    event.refresh_from_db()
    assert event.actor == admin_user
    assert event.target_type == "accounts.hostingaccount"
    assert event.target_id == str(alice_account.pk)
    assert event.account_id == alice_account.pk
    assert event.ip == "192.0.2.7"
    assert event.user_agent == "pytest-agent"
    assert event.details == {"note": "hello"}


def test_it_never_stores_secrets_in_details(admin_user):
    event = audit.record(admin_user, "user.something", password="hunter2", api_token="x")
    assert event.details == {"password": "[redacted]", "api_token": "[redacted]"}


def test_system_events_have_no_actor(db):
    event = audit.record(None, "system.started")
    assert event.actor is None and event.actor_label == "system"


# The panel's role has no UPDATE/DELETE on the table (panel/dbroles.py); the trigger stops
# the owner too (tests/test_stack_db_roles.py).
DENIED = "permission denied for table security_auditevent"


def test_the_database_refuses_update(admin_user):
    event = audit.record(admin_user, "user.something")
    with pytest.raises(DatabaseError, match=DENIED), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE security_auditevent SET action = 'forged' WHERE id = %s", [event.pk]
            )
    event.refresh_from_db()
    assert event.action == "user.something"


def test_the_database_refuses_delete(admin_user):
    event = audit.record(admin_user, "user.something")
    with pytest.raises(DatabaseError, match=DENIED), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_model_refuses_save_of_existing_and_delete(admin_user):
    event = audit.record(admin_user, "user.something")
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_deleting_a_user_keeps_their_events(admin_user, alice_account):
    event = audit.record(alice_account.owner, "user.something")
    owner_pk = alice_account.owner.pk
    from accounts import services

    services.delete_account(alice_account, actor=admin_user)
    event.refresh_from_db()
    assert event.actor_id == owner_pk
    assert event.actor_label == "alice@example.test"
