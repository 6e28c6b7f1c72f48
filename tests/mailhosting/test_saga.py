"""One saga across the mail server and the DNS server: a failure on either side walks back
both, and nothing is left in the mail database."""

from __future__ import annotations

import dataclasses

import pytest

from provisioning.engine import registry
from provisioning.engine.backends import BackendError
from provisioning.mail import domains
from provisioning.mail.models import MailDomain
from tests.dns.conftest import run_jobs
from tests.dns.dnsquery import answers

pytestmark = pytest.mark.django_db(transaction=True)


def test_dns_server_down_undoes_the_mail_domain(
    alice_account,
    pdns_zone,
    backend,
    fast_jobs,
):
    pdns, zone = pdns_zone
    name = zone.name.rstrip(".")
    pdns.stop()
    domains.create_domain(alice_account, name, actor=alice_account.owner)
    run_jobs()

    domain = MailDomain.objects.get(name=name)
    assert domain.state == "failed"
    assert "DNS server" in domain.error_message
    assert backend.inspect_domain(name) is None  # nothing left in the mail database
    zone.refresh_from_db()
    assert zone.state == "active"
    assert not zone.records.filter(type="MX").exists()  # the working copy is as it was
    assert zone.revisions.first().state == "failed"


def test_mail_server_failing_after_dns_restores_the_zone(
    alice_account,
    pdns_zone,
    backend,
    fast_jobs,
    monkeypatch,
):
    pdns, zone = pdns_zone
    name = zone.name.rstrip(".")
    kind = registry.get_kind("mail_domain.create")

    def refuse(ctx):
        raise BackendError("The mail server refused the key.", detail="test")

    steps = [s if s.name != "dkim_key" else dataclasses.replace(s, do=refuse) for s in kind.steps]
    monkeypatch.setitem(registry._KINDS, kind.name, dataclasses.replace(kind, steps=steps))
    domains.create_domain(alice_account, name, actor=alice_account.owner)
    run_jobs()

    domain = MailDomain.objects.get(name=name)
    assert (domain.state, domain.error_message) == ("failed", "The mail server refused the key.")
    address = ("127.0.0.1", pdns.dns_port)
    assert answers(address, zone.name, "MX") == set()  # published, then taken back
    assert answers(address, f"_dmarc.{zone.name}", "TXT") == set()
    assert backend.inspect_domain(name) is None
