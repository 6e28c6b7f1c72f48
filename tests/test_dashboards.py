"""Issue 10 item 19: dashboards show what a person comes for — quotas near their limit (also
emailed once per crossing), jobs in flight and recent failures, the account's security events,
and for admins the servers' health and open alerts."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import dashboard, quota_notices
from accounts.models import Plan, QuotaNotice
from accounts.usage import QuotaUsage
from monitoring.choices import RuleKind
from monitoring.models import AlertEvent, AlertRule
from outbox.models import Message
from provisioning.databases.models import Database
from provisioning.engine.models import ProvisioningJob
from provisioning.servers.models import Server
from security.models import AuditEvent
from tests.security.conftest import password_login

DASHBOARD = reverse("accounts:dashboard")


@pytest.mark.parametrize(
    ("used", "limit", "expected"),
    [
        (79, 100, ""),
        (80, 100, "near"),
        (99, 100, "near"),
        (100, 100, "full"),
        (101, 100, "full"),
        (3, 4, ""),
        (4, 5, "near"),
        (0, 0, ""),
    ],
)
def test_quota_levels_just_below_at_and_above_80_and_100_percent(used, limit, expected):
    assert dashboard.level(QuotaUsage("databases", "Databases", used, limit)) == expected


@pytest.fixture
def server(db):
    return Server.objects.create(name="db1", address="127.0.0.1", roles=["database"])


def _databases(account, server, count):
    for index in range(count):
        Database.objects.create(
            account=account,
            server=server,
            name=f"{account.prefix}_d{index}",
            owner_role=f"{account.prefix}_d{index}",
            state="active",
        )


@pytest.fixture
def five_db_plan(alice_account):
    plan = Plan.objects.create(
        name="Five", max_databases=5, max_mailboxes=0, max_dns_zones=2, disk_quota_mb=500
    )
    alice_account.plan = plan
    alice_account.save(update_fields=["plan"])
    return plan


@pytest.mark.parametrize(("count", "level"), [(3, None), (4, "near"), (5, "full")])
def test_the_dashboard_warns_at_80_and_100_percent(
    alice_client, alice_account, five_db_plan, server, count, level
):
    _databases(alice_account, server, count)
    page = alice_client.get(DASHBOARD).content.decode()
    if level is None:
        assert 'data-quota="databases"' not in page
    else:
        assert f'data-quota="databases" data-level="{level}"' in page
    if level == "full":
        assert "Databases: the quota is full" in page
    if level == "near":
        assert "Databases: 80 % used" in page


def _warnings(account):
    return list(
        Message.objects.filter(kind="quota_warning", to=[account.owner.email]).order_by("pk")
    )


def test_each_crossing_is_emailed_once(alice_account, five_db_plan, server):
    _databases(alice_account, server, 4)
    assert quota_notices.notify_account(alice_account) == 1
    assert quota_notices.notify_account(alice_account) == 0  # told already
    first = _warnings(alice_account)
    assert len(first) == 1 and "nearly used up" in first[0].subject
    assert "uses 4 of its 5 Databases (80 %)" in first[0].text_body
    Database.objects.create(
        account=alice_account, server=server, name="alice_d9", owner_role="alice_d9", state="active"
    )
    assert quota_notices.notify_account(alice_account) == 1
    assert "is full" in _warnings(alice_account)[-1].subject
    assert quota_notices.notify_all() == 0
    # Back below 80 %: the next crossing is news again.
    Database.objects.filter(account=alice_account).delete()
    assert quota_notices.notify_account(alice_account) == 0
    assert not QuotaNotice.objects.filter(account=alice_account).exists()
    _databases(alice_account, server, 4)
    assert quota_notices.notify_account(alice_account) == 1
    assert len(_warnings(alice_account)) == 3
    event = AuditEvent.objects.filter(action="account.quota_warning").first()
    assert event.details["quota"] == "databases" and event.account_id == alice_account.pk


def _job(account, server, state, label="", **fields):
    name = f"{account.prefix}_{label or state}"
    db = Database.objects.create(account=account, server=server, name=name, owner_role=name)
    return ProvisioningJob.objects.create(
        kind="database.create",
        resource_type=ContentType.objects.get_for_model(Database),
        resource_id=db.pk,
        resource_label=db.name,
        lock_scope=db.lock_scope,
        account=account,
        server=server,
        state=state,
        **fields,
    )


def test_jobs_in_flight_and_recent_failures_are_on_the_dashboard(
    alice_client, bob_client, alice_account, bob_account, server
):
    _job(alice_account, server, "running")
    _job(
        alice_account,
        server,
        "failed",
        finished_at=timezone.now(),
        error_message="The server refused the name.",
    )
    _job(bob_account, server, "pending")
    page = alice_client.get(DASHBOARD).content.decode()
    assert "Work in progress" in page and "alice_running" in page
    assert "Failed in the last 7 days" in page and "The server refused the name." in page
    assert "bob_pending" not in page
    bobs = bob_client.get(DASHBOARD).content.decode()
    assert "bob_pending" in bobs and "alice_" not in bobs


def test_a_sign_in_from_a_new_device_is_shown_on_the_dashboard(alice_account):
    firefox = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0")
    password_login(firefox, alice_account.owner.email)
    password_login(firefox, alice_account.owner.email)  # the same device again
    assert not AuditEvent.objects.filter(action="auth.new_device").exists()
    phone = Client(
        HTTP_USER_AGENT=(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
        )
    )
    password_login(phone, alice_account.owner.email)
    event = AuditEvent.objects.get(action="auth.new_device")
    assert "Mobile Safari" in event.details["browser"]
    page = firefox.get(DASHBOARD).content.decode()
    assert "Signed in from a new device" in page and "Mobile Safari" in page


def test_the_admin_overview_shows_servers_health_and_open_alerts(admin_client, server):
    rule, _ = AlertRule.objects.get_or_create(
        kind=RuleKind.CPU, defaults={"name": "CPU", "threshold": 90}
    )
    AlertEvent.objects.create(
        rule=rule, server=server, opened_at=timezone.now(), message="CPU above 90 % for 5 minutes"
    )
    page = admin_client.get(reverse("accounts:admin_overview")).content.decode()
    assert "0 of 1</strong> servers reporting" in page
    assert "1 open alert" in page and "CPU above 90 % for 5 minutes" in page
    assert "no agent yet" in page
    assert "Work in progress" in page


def test_the_dashboards_cost_the_same_queries_for_one_job_or_many(
    alice_client, admin_client, alice_account, server, django_assert_max_num_queries
):
    _job(alice_account, server, "running")
    with django_assert_max_num_queries(60) as customer:
        alice_client.get(DASHBOARD)
    with django_assert_max_num_queries(60) as admin:
        admin_client.get(reverse("accounts:admin_overview"))
    for index in range(5):
        _job(alice_account, server, "running", label=f"more{index}")
        _job(alice_account, server, "failed", label=f"gone{index}", finished_at=timezone.now())
    with django_assert_max_num_queries(len(customer.captured_queries)):
        alice_client.get(DASHBOARD)
    with django_assert_max_num_queries(len(admin.captured_queries)):
        admin_client.get(reverse("accounts:admin_overview"))
