"""Mail pages: the owner sees and acts, another customer gets 404, anonymous visitors log in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisioning.engine.models import ProvisioningJob
from provisioning.mail.models import Alias, Mailbox
from tests.mailhosting.conftest import make_domain


@pytest.fixture
def domain(alice_account, mail_server_row, domain_name):
    return make_domain(alice_account, domain_name, mail_server_row)


@pytest.fixture
def mailbox(domain):
    return Mailbox.objects.create(
        domain=domain, local_part="joe", address=f"joe@{domain.name}", quota_mb=10, state="active"
    )


def test_the_list_has_an_empty_state_and_the_quotas(alice_client):
    page = alice_client.get(reverse("mail:domain_list")).content.decode()
    assert "No mail domains yet." in page
    assert "Mail domains" in page and "Mail quota (MB)" in page


def test_the_list_shows_only_own_domains(alice_client, bob_account, domain, mail_server_row):
    make_domain(bob_account, "bob-only.example.test", mail_server_row)
    page = alice_client.get(reverse("mail:domain_list")).content.decode()
    assert domain.name in page and "bob-only" not in page


def test_the_overview_counts_mail_usage(alice_client, domain, mailbox):
    page = alice_client.get(reverse("home"), follow=True).content.decode()
    assert "Mail domains" in page and "Mail quota (MB)" in page


@pytest.mark.parametrize(
    "name",
    ["mail:domain_detail", "mail:domain_delete", "mail:mailbox_create", "mail:alias_create"],
)
def test_another_customer_gets_404_for_a_domain(bob_client, domain, name):
    response = bob_client.post(reverse(name, args=[domain.pk]), {"local_part": "x"})
    assert response.status_code == 404
    assert not ProvisioningJob.objects.exists()


@pytest.mark.parametrize(
    "name",
    [
        "mail:mailbox_detail",
        "mail:mailbox_password",
        "mail:mailbox_quota",
        "mail:mailbox_vacation",
        "mail:mailbox_delete",
    ],
)
def test_another_customer_gets_404_for_a_mailbox(bob_client, mailbox, name):
    response = bob_client.post(reverse(name, args=[mailbox.pk]), {"quota_mb": 5})
    assert response.status_code == 404
    assert not ProvisioningJob.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("mail:domain_list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_customers_cannot_open_admin_pages(alice_client):
    for name in ("mail:admin_domains", "mail:admin_mailboxes", "mail:admin_drift"):
        assert alice_client.get(reverse(name)).status_code == 403


def test_the_domain_page_shows_records_and_connection_settings(alice_client, domain, mailbox):
    page = alice_client.get(reverse("mail:domain_detail", args=[domain.pk])).content.decode()
    assert f"hearth1._domainkey.{domain.name}." in page
    assert "v=DKIM1; k=rsa; p=MIIB" in page
    assert f"_dmarc.{domain.name}." in page and "v=spf1 mx -all" in page
    assert "10 mx.hearth.test." in page  # the server's host name
    assert "Connection settings" in page and "mx.hearth.test" in page
    assert mailbox.address in page


def test_a_bad_mailbox_form_shows_the_reason_and_writes_nothing(alice_client, domain):
    url = reverse("mail:mailbox_create", args=[domain.pk])
    response = alice_client.post(url, {"local_part": "jo hn", "quota_mb": 10, "password": ""})
    assert response.status_code == 422
    assert "An address cannot contain spaces." in response.content.decode()
    assert not Mailbox.objects.exists() and not ProvisioningJob.objects.exists()


def test_an_alias_loop_is_explained_on_the_page(alice_client, domain):
    Alias.objects.create(
        domain=domain,
        local_part="a",
        address=f"a@{domain.name}",
        destinations=[f"b@{domain.name}"],
        state="active",
    )
    url = reverse("mail:alias_create", args=[domain.pk])
    response = alice_client.post(url, {"local_part": "b", "destinations": f"a@{domain.name}"})
    assert response.status_code == 422
    assert "(a loop)" in response.content.decode()
    assert Alias.objects.count() == 1


def test_deleting_a_mailbox_asks_for_its_address(alice_client, mailbox):
    from tests.conftest import in_sudo_mode

    in_sudo_mode(alice_client)
    url = reverse("mail:mailbox_delete", args=[mailbox.pk])
    response = alice_client.post(url, {"confirm": "wrong"})
    assert response.status_code == 422
    mailbox.refresh_from_db()
    assert mailbox.state == "active"
    response = alice_client.post(url, {"confirm": mailbox.address})
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.state == "deleting"
    assert ProvisioningJob.objects.get().kind == "mailbox.delete"


def test_admins_see_every_mailbox(admin_client, mailbox):
    page = admin_client.get(reverse("mail:admin_mailboxes")).content.decode()
    assert mailbox.address in page and "Suspend" in page


def test_admins_suspend_with_a_job_and_an_audit_event(admin_client, mailbox):
    from security.models import AuditEvent

    response = admin_client.post(
        reverse("mail:admin_suspend", args=[mailbox.pk]), {"suspend": "on"}
    )
    assert response.status_code == 302
    job = ProvisioningJob.objects.get()
    assert (job.kind, job.params) == ("mailbox.suspend", {"suspended": True})
    assert AuditEvent.objects.filter(action="mail.mailbox_suspended").exists()


def test_admins_see_every_mail_domain(admin_client, domain, bob_account, mail_server_row):
    other = make_domain(bob_account, "bob-mail.example.test", mail_server_row)
    page = admin_client.get(reverse("mail:admin_domains")).content.decode()
    assert domain.name in page and other.name in page
