"""DNSSEC: one switch; DNSKEY and RRSIG served; the DS shown matches one computed from it."""

from __future__ import annotations

import dns.dnssec
import dns.name
import dns.rdatatype
import pytest
from django.urls import reverse

from provisioning.dns import services
from tests.dns.conftest import run_jobs
from tests.dns.dnsquery import query


@pytest.fixture
def zone(alice_account, dns_server, zone_name):
    zone = services.create_zone(alice_account, zone_name, template="web", actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    return zone


def switch(client, zone, value):
    response = client.post(reverse("dns:zone_dnssec", args=[zone.pk]), {"enable": value})
    assert response.status_code == 302
    run_jobs()
    zone.refresh_from_db()


def test_turning_dnssec_on_signs_the_zone_and_shows_a_matching_ds(alice_client, zone, pdns_address):
    switch(alice_client, zone, "on")
    assert zone.dnssec and zone.state == "active", zone.error_message
    response = query(pdns_address, zone.name, "DNSKEY", dnssec=True)
    dnskeys = [rrset for rrset in response.answer if rrset.rdtype == dns.rdatatype.DNSKEY][0]
    signatures = [rrset for rrset in response.answer if rrset.rdtype == dns.rdatatype.RRSIG]
    assert signatures, "DNSKEY is not signed"
    dns.dnssec.validate(dnskeys, signatures[0], {dns.name.from_text(zone.name): dnskeys})
    expected = {
        dns.dnssec.make_ds(dns.name.from_text(zone.name), key, "SHA256").to_text()
        for key in dnskeys
        if key.flags & 1
    }
    assert set(zone.ds_records) == expected
    a_answer = query(pdns_address, zone.name, "A", dnssec=True).answer
    assert {rrset.rdtype for rrset in a_answer} == {dns.rdatatype.A, dns.rdatatype.RRSIG}
    page = alice_client.get(reverse("dns:zone_detail", args=[zone.pk])).content.decode()
    assert f"{zone.name} IN DS {zone.ds_records[0]}" in page
    shown = page.split('id="dnssec"', 1)[1].split("</details>", 1)[0]
    served_ksks = [key.to_text() for key in dnskeys if key.flags & 1]
    assert served_ksks and all(f"{zone.name} IN DNSKEY {key}" in shown for key in served_ksks)
    assert "remove the DS record at your registrar" in page


def test_records_changed_later_are_signed_too(alice_client, zone, pdns_address):
    switch(alice_client, zone, "on")
    url = reverse("dns:record_add", args=[zone.pk])
    alice_client.post(url, {"name": "new", "type": "A", "ttl": "300", "value": "192.0.2.44"})
    alice_client.post(reverse("dns:zone_apply", args=[zone.pk]))
    run_jobs()
    answer = query(pdns_address, "new." + zone.name, "A", dnssec=True).answer
    assert {rrset.rdtype for rrset in answer} == {dns.rdatatype.A, dns.rdatatype.RRSIG}


def test_turning_it_off_removes_the_keys(alice_client, zone, pdns_address):
    switch(alice_client, zone, "on")
    switch(alice_client, zone, "off")
    assert not zone.dnssec and zone.ds_records == []
    assert query(pdns_address, zone.name, "DNSKEY", dnssec=True).answer == []
