"""rspamd signs outgoing mail with the key the backend stored; the signature verifies against
the public key published in (and queried from) the stack's PowerDNS."""

from __future__ import annotations

import dkim
import dns.message
import dns.query
import httpx
import pytest
from django.conf import settings

from provisioning.mail.dkim import generate_key
from tests.mailstack import SUBMISSION, make_mailbox, message, send, wait_for_message


def pdns(method: str, path: str, body: dict | None = None) -> httpx.Response:
    return httpx.request(
        method,
        f"{settings.PDNS_API_URL}/servers/localhost{path}",
        json=body,
        headers={"X-API-Key": settings.PDNS_API_KEY},
        timeout=10,
    )


def txt_strings(content: str) -> str:
    """TXT rdata for CONTENT in 255-byte strings (a 2048-bit key is longer than one)."""
    return " ".join(f'"{content[i : i + 255]}"' for i in range(0, len(content), 255))


@pytest.fixture
def published(mail_domain):
    """Publish a zone for the mail domain in PowerDNS; yield a function adding a DKIM TXT."""
    zone = f"{mail_domain}."
    soa = "ns1.hearth.test. hostmaster.hearth.test. 1 10800 3600 604800 3600"
    body = {
        "name": zone,
        "kind": "Native",
        "nameservers": [],
        "rrsets": [
            {"name": zone, "type": "SOA", "ttl": 60, "records": [{"content": soa}]},
            {"name": zone, "type": "NS", "ttl": 60, "records": [{"content": "ns1.hearth.test."}]},
        ],
    }
    assert pdns("POST", "/zones", body).status_code == 201

    def add(selector: str, txt: str) -> None:
        rrset = {
            "name": f"{selector}._domainkey.{zone}",
            "type": "TXT",
            "ttl": 60,
            "changetype": "REPLACE",
            "records": [{"content": txt_strings(txt)}],
        }
        assert pdns("PATCH", f"/zones/{zone}", {"rrsets": [rrset]}).status_code == 204

    yield add
    pdns("DELETE", f"/zones/{zone}")


def from_pdns(name, timeout=5):
    """dkimpy's DNS lookup, answered by the stack's PowerDNS only (no other resolver)."""
    host, _, port = settings.PDNS_DNS_ADDRESS.rpartition(":")
    qname = name.decode() if isinstance(name, bytes) else name
    response = dns.query.udp(dns.message.make_query(qname, "TXT"), host, port=int(port), timeout=3)
    for rrset in response.answer:
        for rdata in rrset:
            return b"".join(rdata.strings)
    return None


def test_signed_with_the_stored_key_and_verifies_against_powerdns(
    mail_backend, mail_domain, published
):
    alice, alice_pw = make_mailbox(mail_backend, mail_domain, "alice")
    bob, bob_pw = make_mailbox(mail_backend, mail_domain, "bob")
    private_pem, txt = generate_key()
    mail_backend.ensure_dkim_key(mail_domain, "s1", private_pem)
    published("s1", txt)

    send(alice, bob, message(alice, bob, "signed"), port=SUBMISSION, login=(alice, alice_pw))

    raw = wait_for_message(bob, bob_pw, "signed")
    assert b"DKIM-Signature:" in raw and f"d={mail_domain}".encode() in raw
    assert b"s=s1" in raw
    assert dkim.verify(raw, dnsfunc=from_pdns)
    assert mail_backend.inspect_domain(mail_domain)["dkim_selectors"] == ["s1"]


def test_rotation_signs_with_the_newest_key_and_removal_stops_signing(
    mail_backend, mail_domain, published
):
    alice, alice_pw = make_mailbox(mail_backend, mail_domain, "alice")
    bob, bob_pw = make_mailbox(mail_backend, mail_domain, "bob")
    login = (alice, alice_pw)
    old_pem, old_txt = generate_key()
    new_pem, new_txt = generate_key()
    mail_backend.ensure_dkim_key(mail_domain, "old", old_pem)
    mail_backend.ensure_dkim_key(mail_domain, "new", new_pem)
    published("old", old_txt)
    published("new", new_txt)

    send(alice, bob, message(alice, bob, "rotated"), port=SUBMISSION, login=login)
    raw = wait_for_message(bob, bob_pw, "rotated")
    assert b"s=new" in raw and dkim.verify(raw, dnsfunc=from_pdns)

    mail_backend.remove_dkim_key(mail_domain, "new")
    mail_backend.remove_dkim_key(mail_domain, "old")
    send(alice, bob, message(alice, bob, "unsigned"), port=SUBMISSION, login=login)
    assert b"DKIM-Signature:" not in wait_for_message(bob, bob_pw, "unsigned")
    assert mail_backend.remove_dkim_key(mail_domain, "old") == "already gone"
