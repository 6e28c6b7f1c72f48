"""The DNS records a mail domain needs, and merging them into (or out of) a zone's records.

Records are (name, type, ttl, content) tuples in the DNS kind's canonical form, so the
mail jobs publish them as an ordinary zone revision (one PATCH, verified over DNS).
"""

from __future__ import annotations

from provisioning.dns.validation import CleanRecord, Issue, RecordInput, validate_records
from provisioning.dns.validation import zone_issues as dns_zone_issues
from provisioning.mail.endpoints import endpoints_for

Rec = tuple[str, str, int, str]
TTL = 3600


def dkim_name(domain: str, selector: str) -> str:
    return f"{selector}._domainkey.{domain}."


def wanted(domain, *, selector: str | None = None, txt: str | None = None) -> list[RecordInput]:
    """What DOMAIN (a MailDomain) should publish, as people write records."""
    ends = endpoints_for(domain.server)
    host = ends.hostname + "."
    name = domain.name + "."
    return [
        RecordInput(name, "MX", TTL, f"10 {host}"),
        RecordInput(name, "TXT", TTL, "v=spf1 mx -all"),
        RecordInput(
            dkim_name(domain.name, selector or domain.dkim_selector),
            "TXT",
            TTL,
            txt or domain.dkim_txt,
        ),
        RecordInput(f"_dmarc.{name}", "TXT", TTL, f"v=DMARC1; p={domain.dmarc_policy}"),
        RecordInput(f"autoconfig.{name}", "CNAME", TTL, host),
        RecordInput(f"autodiscover.{name}", "CNAME", TTL, host),
        RecordInput(f"_imaps._tcp.{name}", "SRV", TTL, f"0 1 {ends.imap_port} {host}"),
        RecordInput(f"_submission._tcp.{name}", "SRV", TTL, f"0 1 {ends.submission_port} {host}"),
    ]


def canonical(zone_name: str, inputs: list[RecordInput]) -> tuple[list[Rec], list[Issue]]:
    clean, issues = validate_records(zone_name, inputs)
    return [record.as_tuple() for record in clean], issues


def _replaces(mine: Rec, theirs: Rec) -> bool:
    """Does MINE take the place of THEIRS (same rrset we own, or the apex's old SPF)?"""
    if (mine[0], mine[1]) != (theirs[0], theirs[1]):
        return False
    if mine[1] != "TXT":
        return True
    if mine[3].startswith('"v=spf1'):
        return theirs[3].startswith('"v=spf1')
    return True  # _dmarc and <selector>._domainkey belong to the mail domain


def merged(current: list[Rec], mine: list[Rec]) -> list[Rec]:
    """CURRENT with MINE added, replacing the records they take the place of."""
    kept = [r for r in current if not any(_replaces(m, r) for m in mine)]
    return sorted(set(kept) | set(mine))


def without(current: list[Rec], mine: list[Rec]) -> list[Rec]:
    gone = set(mine)
    return sorted(r for r in current if r not in gone)


def zone_issues(zone_name: str, records: list[Rec]) -> list[Issue]:
    clean = [CleanRecord(n, t, ttl, c, index=i) for i, (n, t, ttl, c) in enumerate(records)]
    return dns_zone_issues(zone_name, clean)
