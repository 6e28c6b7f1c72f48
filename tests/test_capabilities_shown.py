"""Issue 10 item 18: plans and server forms offer only the quotas and server roles of
capabilities that exist (an app counts the quota / a backend handles the role)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import usage
from accounts.models import Plan
from provisioning.engine import backends
from provisioning.servers.models import Server

PLAN = {
    "name": "Gold",
    "description": "",
    "max_databases": 4,
    "max_dns_zones": 2,
    "disk_quota_mb": 900,
    "max_mailboxes": 77,
}


@pytest.fixture
def without_mail(monkeypatch):
    """The panel without mail hosting: nothing counts mail domains, mailboxes or mail quota,
    and no backend serves the mail role."""
    mail_keys = {"mail_domains", "mailboxes", "mail_quota_mb"}
    counters = {key: value for key, value in usage._counters.items() if key not in mail_keys}
    monkeypatch.setattr(usage, "_counters", counters)
    roles = {key: value for key, value in backends.BACKENDS.items() if key != "mail"}
    monkeypatch.setattr(backends, "BACKENDS", roles)


def test_plans_show_only_counted_quotas(admin_client, alice_account, without_mail):
    form_page = admin_client.get(reverse("accounts:plan_create")).content.decode()
    assert 'name="max_databases"' in form_page and 'name="max_dns_zones"' in form_page
    assert 'name="max_mailboxes"' not in form_page
    list_page = admin_client.get(reverse("accounts:plan_list")).content.decode()
    assert "<th>DNS zones</th>" in list_page and "<th>Mailboxes</th>" not in list_page
    dashboard = admin_client.get(reverse("accounts:account_detail", args=[alice_account.pk]))
    assert 'aria-label="DNS zones used"' in dashboard.content.decode()
    assert 'aria-label="Mailboxes used"' not in dashboard.content.decode()


def test_a_hidden_quota_keeps_its_stored_value(admin_client, plan, without_mail):
    admin_client.post(reverse("accounts:plan_edit", args=[plan.pk]), {**PLAN, "name": "Std"})
    plan.refresh_from_db()
    assert plan.name == "Std" and plan.max_databases == 4 and plan.max_mailboxes == 10


def test_a_quota_appears_once_its_app_counts_it(admin_client, monkeypatch):
    monkeypatch.setattr(usage, "_counters", {**usage._counters, "mailboxes": lambda a: 0})
    page = admin_client.get(reverse("accounts:plan_create")).content.decode()
    assert 'name="max_mailboxes"' in page
    admin_client.post(reverse("accounts:plan_create"), PLAN)
    assert Plan.objects.get(name="Gold").max_mailboxes == 77


def test_servers_offer_only_roles_a_backend_handles(admin_client, without_mail):
    page = admin_client.get(reverse("provisioning:server_create")).content.decode()
    assert 'value="database"' in page and 'value="dns"' in page
    assert 'value="web"' not in page and 'value="mail"' not in page
    response = admin_client.post(
        reverse("provisioning:server_create"),
        {"name": "w1", "address": "192.0.2.5", "roles": ["web"]},
    )
    assert response.status_code == 200 and "not one of the available choices" in (
        response.content.decode()
    )
    assert not Server.objects.filter(name="w1").exists()


def test_the_plan_form_sets_the_mail_limits_and_keeps_them_when_left_out(admin_client, plan):
    page = admin_client.get(reverse("accounts:plan_edit", args=[plan.pk])).content.decode()
    assert 'name="max_mail_domains"' in page and 'name="mail_send_limit_per_hour"' in page
    limits = {"max_mail_domains": 7, "mail_quota_mb": 4096, "mail_send_limit_per_hour": 50}
    url = reverse("accounts:plan_edit", args=[plan.pk])
    admin_client.post(url, {**PLAN, "max_mailboxes": 12, **limits})
    plan.refresh_from_db()
    assert (plan.max_mail_domains, plan.mail_quota_mb, plan.mail_send_limit_per_hour) == (
        7,
        4096,
        50,
    )
    admin_client.post(url, {**PLAN, "max_mailboxes": 12, "name": "Std"})  # mail limits left out
    plan.refresh_from_db()
    assert plan.name == "Std" and plan.mail_quota_mb == 4096 and plan.max_mail_domains == 7
