"""Against the real servers: a mail domain added through the page publishes its records in
PowerDNS in the same saga, and a mailbox made through the pages is usable over submission
(SASL as the mailbox) and IMAP with the password shown once; its mail carries a DKIM
signature that verifies against the key queried from PowerDNS."""

from __future__ import annotations

import re

import dkim
import dns.message
import dns.query
import pytest
from django.conf import settings
from django.urls import reverse

from provisioning.dns.backend import split_address
from provisioning.mail.backend import MailBackend
from provisioning.mail.models import Mailbox, MailDomain
from tests.dns.conftest import run_jobs
from tests.mailstack import SUBMISSION, message, send, wait_for_message

pytestmark = pytest.mark.django_db(transaction=True)


def powerdns_txt(name: bytes, timeout: int = 5) -> bytes | None:
    """dkimpy's DNS look-up, asked of the stack's PowerDNS (where the saga published it)."""
    host, port = split_address(settings.PDNS_DNS_ADDRESS)
    query = dns.message.make_query(name.decode(), "TXT")
    response = dns.query.udp(query, host, port=port, timeout=timeout)
    for rrset in response.answer:
        for rdata in rrset:
            return b"".join(rdata.strings)
    return None


@pytest.fixture
def cleanup(mail_server):
    names: list[str] = []
    yield names
    backend = MailBackend(mail_server)
    for name in names:
        backend.remove_domain(name)
    backend.close()


def test_a_mailbox_made_in_the_panel_receives_signed_mail(
    alice_client,
    hosted_zone,
    mail_server,
    cleanup,
):
    domain_name = hosted_zone.name.rstrip(".")
    cleanup.append(domain_name)
    response = alice_client.post(
        reverse("mail:domain_create"), {"name": domain_name, "dmarc_policy": "reject"}
    )
    assert response.status_code == 302
    run_jobs()
    domain = MailDomain.objects.get(name=domain_name)
    assert (domain.state, domain.error_message) == ("active", "")
    selector = domain.dkim_selector
    assert powerdns_txt(f"{selector}._domainkey.{domain_name}.".encode()).startswith(b"v=DKIM1")
    assert powerdns_txt(f"_dmarc.{domain_name}.".encode()) == b"v=DMARC1; p=reject"

    url = reverse("mail:mailbox_create", args=[domain.pk])
    page = alice_client.post(url, {"local_part": "Joe", "quota_mb": 50, "password": ""})
    assert page.status_code == 200
    password = re.search(r'id="mailbox-password" class="secret">([^<]+)<', page.content.decode())[1]
    run_jobs()
    box = Mailbox.objects.get(address=f"joe@{domain_name}")
    assert box.state == "active"

    sender = f"joe@{domain_name}"
    msg = message(sender, box.address, "signed hello")
    send(sender, box.address, msg, port=SUBMISSION, login=(box.address, password))
    raw = wait_for_message(box.address, password, "signed hello")

    assert f"Delivered-To: {box.address}".encode() in raw
    assert b"DKIM-Signature:" in raw
    assert f"s={selector}".encode() in raw
    assert dkim.verify(raw, dnsfunc=powerdns_txt)  # the key published by the saga
    # The password is nowhere in the panel: not on the row, not in the job's parameters.
    from provisioning.engine.models import ProvisioningJob

    job = ProvisioningJob.objects.filter(kind="mailbox.create").get()
    assert "password_hash" not in job.params and password not in str(job.params)
