"""Asking a DNS server directly (dnspython), as a resolver would."""

from __future__ import annotations

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype


def query(address: tuple[str, int], name: str, rtype: str, *, dnssec: bool = False):
    message = dns.message.make_query(name, rtype, want_dnssec=dnssec)
    response, _ = dns.query.udp_with_fallback(message, address[0], port=address[1], timeout=3)
    return response


def answers(address, name: str, rtype: str) -> set[str]:
    """The rdata texts of NAME/TYPE in the answer (or, for delegations, authority) section."""
    response = query(address, name, rtype)
    wanted = dns.rdatatype.from_text(rtype)
    for section in (response.answer, response.authority):
        for rrset in section:
            if rrset.rdtype == wanted and rrset.name.to_text() == name:
                return {rdata.to_text() for rdata in rrset}
    return set()


def rcode(address, name: str, rtype: str = "SOA") -> str:
    return dns.rcode.to_text(query(address, name, rtype).rcode())


def serial(address, zone: str) -> int:
    (soa,) = query(address, zone, "SOA").answer
    return int(soa[0].serial)
