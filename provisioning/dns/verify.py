"""Asking a DNS server what it answers (dnspython), to confirm a change really took effect."""

from __future__ import annotations

import ipaddress
import socket
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from django.conf import settings

from provisioning.engine.backends import BackendError

RESOLVE_TTL = 30.0  # seconds a host name's address is reused (containers move on restart)
_resolved: dict[str, tuple[float, str]] = {}


def resolve(host: str) -> str:
    """HOST as an IP address: dnspython, BIND's `primaries` and ALSO-NOTIFY take only those
    (`pdns:53` in compose names a container). BackendError(permanent=False) if unknown."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    cached = _resolved.get(host)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)
        # IPv4 first: `localhost` may list ::1 before 127.0.0.1, where the server listens.
        found.sort(key=lambda entry: entry[0] != socket.AF_INET)
        address = found[0][4][0]
    except (OSError, UnicodeError) as exc:
        raise BackendError(
            "The DNS server's host name does not resolve.",
            permanent=False,
            detail=f"{host}: {exc}",
        ) from None
    _resolved[host] = (time.monotonic() + RESOLVE_TTL, address)
    return address


def ask(host: str, port: int, name: str, rtype: str, *, dnssec: bool = False):
    """One query over UDP (TCP if truncated); BackendError(permanent=False) on timeout."""
    query = dns.message.make_query(name, rtype, want_dnssec=dnssec)
    query.flags &= ~dns.flags.RD
    timeout = settings.DNS_QUERY_TIMEOUT
    where = resolve(host)
    try:
        response, _ = dns.query.udp_with_fallback(query, where, port=port, timeout=timeout)
    except (dns.exception.Timeout, OSError) as exc:
        raise BackendError(
            "The DNS server did not answer.",
            permanent=False,
            detail=f"query {name} {rtype} at {host}:{port}: {type(exc).__name__}: {exc}",
        ) from None
    return response


def normalise(rtype: str, content: str) -> str:
    """Canonical text of CONTENT as dnspython writes it (compares panel and server)."""
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), content)
    return rdata.to_text()


def answered(host: str, port: int, name: str, rtype: str) -> tuple[int | None, set[str]]:
    """(ttl, contents) the server answers for NAME/TYPE; (None, set()) if it has none.

    A delegation (NS below the apex) comes back as a referral, in the authority section.
    """
    response = ask(host, port, name, rtype)
    if response.rcode() == dns.rcode.REFUSED:
        raise BackendError(
            "The DNS server does not serve this zone.", permanent=False, detail=f"{name} REFUSED"
        )
    wanted = dns.rdatatype.from_text(rtype)
    for section in (response.answer, response.authority):
        for rrset in section:
            if rrset.name.to_text().lower() == name and rrset.rdtype == wanted:
                return rrset.ttl, {rdata.to_text() for rdata in rrset}
    return None, set()


def soa_serial(host: str, port: int, zone: str) -> int | None:
    response = ask(host, port, zone, "SOA")
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return int(rrset[0].serial)
    return None


def zone_status(host: str, port: int, zone: str) -> str:
    """The rcode name the server answers an SOA query for ZONE with (NOERROR, REFUSED...)."""
    return dns.rcode.to_text(ask(host, port, zone, "SOA").rcode())
