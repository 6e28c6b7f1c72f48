import pytest

from accounts import services
from accounts.choices import AccountStatus
from accounts.exceptions import AccountsError, PlanInUse
from accounts.models import HostingAccount, Plan, User
from accounts.usage import available_quotas, usage_for
from security.models import AuditEvent


def test_email_is_the_login_and_is_case_insensitive(db):
    user = User.objects.create_user("Carol@Example.TEST", "pw-123456789")
    assert user.email == "carol@example.test"
    assert User.objects.get_by_natural_key("CAROL@example.test") == user


def test_create_customer_makes_user_account_and_audit_event(plan, admin_user):
    account, password = services.create_customer(
        name="Acme", email="owner@acme.test", prefix="acme", plan=plan, actor=admin_user
    )
    assert len(password) >= 20
    assert account.owner.check_password(password)
    assert not account.owner.is_admin
    event = AuditEvent.objects.get(action="account.created")
    assert event.actor == admin_user and event.target_id == str(account.pk)
    assert event.details["plan"] == "Standard"


def test_create_customer_refuses_a_taken_email_or_prefix(alice_account, plan):
    with pytest.raises(AccountsError, match="already exists"):
        services.create_customer(
            name="X", email="ALICE@example.test", prefix="other", plan=plan, actor=None
        )
    with pytest.raises(AccountsError, match="already taken"):
        services.create_customer(
            name="X", email="x@example.test", prefix="alice", plan=plan, actor=None
        )
    assert HostingAccount.objects.count() == 1


def test_suspend_blocks_login_and_resume_restores_it(alice_account, admin_user):
    services.suspend_account(alice_account, actor=admin_user)
    alice_account.refresh_from_db()
    assert alice_account.status == AccountStatus.SUSPENDED
    assert not User.objects.get(pk=alice_account.owner_id).is_active
    services.resume_account(alice_account, actor=admin_user)
    assert User.objects.get(pk=alice_account.owner_id).is_active
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["account.suspended", "account.resumed"]


def test_suspending_twice_records_one_event(alice_account, admin_user):
    services.suspend_account(alice_account, actor=admin_user)
    services.suspend_account(alice_account, actor=admin_user)
    assert AuditEvent.objects.filter(action="account.suspended").count() == 1


def test_update_account_records_old_and_new_values(alice_account, admin_user):
    gold = Plan.objects.create(name="Gold")
    services.update_account(alice_account, name="Alice Ltd", plan=gold, actor=admin_user)
    event = AuditEvent.objects.get(action="account.updated")
    assert event.details["changes"]["plan"] == {"old": "Standard", "new": "Gold"}
    assert event.details["changes"]["name"] == {"old": "Alice Shop", "new": "Alice Ltd"}


def test_delete_account_removes_account_and_owner(alice_account, admin_user):
    owner_pk = alice_account.owner_id
    services.delete_account(alice_account, actor=admin_user)
    assert not HostingAccount.objects.exists()
    assert not User.objects.filter(pk=owner_pk).exists()
    assert AuditEvent.objects.filter(action="account.deleted").exists()


def test_a_plan_in_use_cannot_be_deleted(alice_account, admin_user):
    with pytest.raises(PlanInUse):
        services.delete_plan(alice_account.plan, actor=admin_user)
    assert Plan.objects.filter(pk=alice_account.plan_id).exists()


def test_usage_is_zero_against_each_quota(alice_account):
    usage = {row.key: (row.used, row.limit) for row in usage_for(alice_account)}
    limits = {
        "databases": 3,
        "mail_domains": 3,
        "mailboxes": 10,
        "mail_quota_mb": 2048,
        "dns_zones": 2,
        "disk_mb": 500,
    }
    counted = {key for key, _, _ in available_quotas()}
    assert {"databases", "dns_zones", "disk_mb"} <= counted
    assert usage == {key: (0, limits[key]) for key in counted}


def test_an_account_with_resources_cannot_be_deleted(alice_account, admin_user):
    from provisioning.models import Database, Server

    server = Server.objects.create(name="db1", address="127.0.0.1", roles=["database"])
    Database.objects.create(
        account=alice_account, server=server, name="alice_shop", owner_role="alice_shop"
    )
    with pytest.raises(AccountsError, match="still has databases; delete them first"):
        services.delete_account(alice_account, actor=admin_user)
    assert HostingAccount.objects.filter(pk=alice_account.pk).exists()
    assert not AuditEvent.objects.filter(action="account.deleted").exists()
