"""The "check records" button: ask DNS whether a domain publishes what it should.

For zones hosted elsewhere the customer publishes the records; this looks them up
(through MAIL_CHECK_NAMESERVER if set, else the system's resolver) and says, per record,
whether it is there.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.resolver
from django.conf import settings

from provisioning.dns.backend import split_address
from provisioning.dns.content import friendly
from provisioning.dns.verify import normalise
from provisioning.mail import records


@dataclass(frozen=True)
class RecordStatus:
    name: str
    type: str
    value: str  # as the customer writes it
    status: str  # "ok", "missing", "different", "unknown" (no answer in time)
    found: tuple[str, ...] = ()


def _resolver() -> dns.resolver.Resolver:
    if not settings.MAIL_CHECK_NAMESERVER:
        return dns.resolver.Resolver()
    host, port = split_address(settings.MAIL_CHECK_NAMESERVER)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = [host], port
    return resolver


def _served(resolver, name: str, rtype: str) -> set[str] | None:
    try:
        answer = resolver.resolve(name, rtype, lifetime=settings.DNS_QUERY_TIMEOUT)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return set()
    except (dns.exception.Timeout, dns.resolver.NoNameservers):
        return None
    return {rdata.to_text() for rdata in answer}


def _key(rtype: str, text: str) -> str:
    """TXT compared by its joined text: the split into strings is the publisher's choice."""
    return friendly(rtype, text) if rtype == "TXT" else normalise(rtype, text).lower()


def check(domain) -> list[RecordStatus]:
    resolver = _resolver()
    wanted, _issues = records.canonical(domain.name + ".", records.wanted(domain))
    rows = []
    for name, rtype, _ttl, content in wanted:
        served = _served(resolver, name, rtype)
        want = _key(rtype, content)
        if served is None:
            status = "unknown"
        elif want in {_key(rtype, text) for text in served}:
            status = "ok"
        elif served and not (rtype == "TXT" and name == domain.name + "."):
            status = "different"
        else:
            status = "missing"
        found = tuple(sorted(served or ()))
        rows.append(RecordStatus(name, rtype, friendly(rtype, content), status, found))
    return rows


def expected(domain) -> list[RecordStatus]:
    """The records to publish, without asking DNS (shown before a check)."""
    wanted, _issues = records.canonical(domain.name + ".", records.wanted(domain))
    return [RecordStatus(n, t, friendly(t, c), "") for n, t, _ttl, c in wanted]
