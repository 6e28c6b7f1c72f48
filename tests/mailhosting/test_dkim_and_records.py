"""DKIM rotation (new selector published, old one retired later) and the records check for
zones hosted elsewhere, against the real PowerDNS and mail server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from provisioning.dns import services as dns_services
from provisioning.mail import check, domains, records
from provisioning.mail.backend import MailBackend
from provisioning.mail.models import MailDomain
from tests.dns.conftest import pdns_api, run_jobs
from tests.dns.dnsquery import answers
from tests.mailhosting.conftest import make_domain

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backend(mail_server):
    made = MailBackend(mail_server)
    yield made
    made.close()


def _txt(address, name: str) -> set[str]:
    return {
        "".join(part.strip('"') for part in t.split('" "')) for t in answers(address, name, "TXT")
    }


def test_rotation_publishes_a_new_key_and_retires_the_old_one_later(
    alice_account, dns_server, zone_name, mail_server, backend, pdns_address
):
    dns_services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    run_jobs()
    name = zone_name.rstrip(".")
    domain = domains.create_domain(alice_account, name, actor=alice_account.owner)
    run_jobs()
    try:
        domain.refresh_from_db()
        old = domain.dkim_selector

        domains.rotate_dkim(domain, actor=alice_account.owner)
        run_jobs()
        domain.refresh_from_db()
        new = domain.dkim_selector
        assert (domain.state, domain.dkim_old_selector) == ("active", old) and new != old
        assert _txt(pdns_address, records.dkim_name(name, new)) == {domain.dkim_txt}
        assert domain.dkim_retire_at > timezone.now() + timedelta(hours=1)

        MailDomain.objects.filter(pk=domain.pk).update(dkim_retire_at=timezone.now())
        assert domains.retire_due_keys() == 1
        run_jobs()
        domain.refresh_from_db()
        assert (domain.state, domain.dkim_old_selector) == ("active", "")
        assert _txt(pdns_address, records.dkim_name(name, old)) == set()
        assert _txt(pdns_address, records.dkim_name(name, new)) == {domain.dkim_txt}
        assert old not in backend.inspect_domain(name)["dkim_selectors"]
        assert new in backend.inspect_domain(name)["dkim_selectors"]

        domains.delete_domain(domain, actor=alice_account.owner)
        run_jobs()
        assert not MailDomain.objects.filter(pk=domain.pk).exists()
        assert backend.inspect_domain(name) is None
        assert answers(pdns_address, zone_name, "MX") == set()
        assert _txt(pdns_address, records.dkim_name(name, new)) == set()
        assert answers(pdns_address, zone_name, "NS")  # the zone itself stays
    finally:
        backend.remove_domain(name)


def test_the_check_reports_each_record_of_a_zone_elsewhere(
    alice_client, alice_account, dns_server, zone_name, settings
):
    """A zone served by a DNS server the panel does not manage (here: put into PowerDNS
    behind Hearth's back) is looked up through MAIL_CHECK_NAMESERVER."""
    settings.MAIL_CHECK_NAMESERVER = settings.PDNS_DNS_ADDRESS
    name = zone_name.rstrip(".")
    domain = make_domain(alice_account, name, dns_server)
    wanted, _ = records.canonical(zone_name, records.wanted(domain))
    mx = next(r for r in wanted if r[1] == "MX")
    rrsets = [
        {"name": zone_name, "type": "SOA", "ttl": 3600, "records": [_soa(zone_name)]},
        {"name": zone_name, "type": "NS", "ttl": 3600, "records": [_rec("ns1.hearth.test.")]},
        {"name": mx[0], "type": "MX", "ttl": 3600, "records": [_rec(mx[3])]},
        {"name": f"_dmarc.{zone_name}", "type": "TXT", "ttl": 3600,
         "records": [_rec('"v=DMARC1; p=none"')]},
    ]  # fmt: skip
    body = {"name": zone_name, "kind": "Native", "rrsets": rrsets}
    assert pdns_api("POST", "/zones", json=body).status_code == 201

    status = {(row.name, row.type): row.status for row in check.check(domain)}
    assert status[(zone_name, "MX")] == "ok"
    assert status[(f"_dmarc.{zone_name}", "TXT")] == "different"
    assert status[(records.dkim_name(name, "hearth1"), "TXT")] == "missing"

    page = alice_client.post(reverse("mail:domain_check", args=[domain.pk])).content.decode()
    assert "found: &quot;v=DMARC1; p=none&quot;" in page or "v=DMARC1; p=none" in page
    assert "missing" in page


def _rec(content: str) -> dict:
    return {"content": content, "disabled": False}


def _soa(zone: str) -> dict:
    return _rec("ns1.hearth.test. hostmaster.hearth.test. 1 10800 3600 604800 3600")
