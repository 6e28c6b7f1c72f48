"""DNSSEC reaches the BIND secondary: after the switch's NOTIFY/AXFR it serves DNSKEY and RRSIG."""

from __future__ import annotations

import dns.dnssec
import dns.name
import dns.rdatatype
import pytest
from django.urls import reverse

from tests.dns.conftest import run_jobs
from tests.dns.dnsquery import query, serial


@pytest.fixture
def zone(secondary_zone):
    return secondary_zone


def switch(client, zone, value: str) -> None:
    response = client.post(reverse("dns:zone_dnssec", args=[zone.pk]), {"enable": value})
    assert response.status_code == 302
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active", zone.error_message


def signed(address, name: str, rtype: str):
    """The rrset of NAME/TYPE and its RRSIGs, as a validating resolver asks (DO bit)."""
    answer = query(address, name, rtype, dnssec=True).answer
    wanted = dns.rdatatype.from_text(rtype)
    data = [rrset for rrset in answer if rrset.rdtype == wanted]
    signatures = [rrset for rrset in answer if rrset.rdtype == dns.rdatatype.RRSIG]
    return (data[0] if data else None), (signatures[0] if signatures else None)


def test_turning_dnssec_on_reaches_the_secondary(alice_client, zone, bind_server, pdns_address):
    secondary = (bind_server.host, bind_server.dns_port)
    before = serial(pdns_address, zone.name)
    switch(alice_client, zone, "on")
    assert zone.dnssec
    origin = dns.name.from_text(zone.name)
    dnskeys, key_signature = signed(secondary, zone.name, "DNSKEY")
    assert dnskeys is not None, "the secondary serves no DNSKEY"
    assert key_signature is not None, "the secondary serves the DNSKEY unsigned"
    # A new serial is what made it transfer the signed zone again.
    assert serial(secondary, zone.name) == serial(pdns_address, zone.name) > before
    dns.dnssec.validate(dnskeys, key_signature, {origin: dnskeys})
    primary_keys, _ = signed(pdns_address, zone.name, "DNSKEY")
    assert {k.to_text() for k in dnskeys} == {k.to_text() for k in primary_keys}
    records, signature = signed(secondary, zone.name, "A")
    assert {r.to_text() for r in records} == {"192.0.2.10"}
    dns.dnssec.validate(records, signature, {origin: dnskeys})
    computed = {dns.dnssec.make_ds(origin, k, "SHA256").to_text() for k in dnskeys if k.flags & 1}
    assert zone.ds_records and set(zone.ds_records) <= computed
    page = alice_client.get(reverse("dns:zone_detail", args=[zone.pk])).content.decode()
    row = page.split('id="secondaries"', 1)[1].split("</section>", 1)[0]
    assert "in sync" in row and "lagging" not in row


def test_turning_dnssec_off_reaches_the_secondary(alice_client, zone, bind_server, pdns_address):
    secondary = (bind_server.host, bind_server.dns_port)
    switch(alice_client, zone, "on")
    switch(alice_client, zone, "off")
    assert not zone.dnssec
    assert serial(secondary, zone.name) == serial(pdns_address, zone.name)
    assert signed(secondary, zone.name, "DNSKEY") == (None, None)
    records, signature = signed(secondary, zone.name, "A")
    assert records is not None and signature is None
    page = alice_client.get(reverse("dns:zone_detail", args=[zone.pk])).content.decode()
    assert "lagging" not in page.split('id="secondaries"', 1)[1].split("</section>", 1)[0]
