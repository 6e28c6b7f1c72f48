"""Every rule a record set must pass before it reaches a server (see docs/dns.md).

`validate_records(zone, inputs)` checks each record on its own (name, TTL, value by type) and
then the set as a whole (CNAME conflicts, targets that are CNAMEs, duplicates, one TTL per
rrset, the per-zone quota). Each problem is an `Issue` naming the record (its index, and its
line in an imported file) and the field it belongs to. Values come in as people write them
(TXT unquoted, however long; CAA as `flags tag value`) and leave in PowerDNS's canonical
presentation format.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings

from provisioning.dns import names
from provisioning.dns.content import ContentError, canonical
from provisioning.dns.names import InvalidName


@dataclass(frozen=True)
class RecordInput:
    name: str
    type: str
    ttl: int | str | None
    value: str
    line: int | None = None  # in an imported zone file


@dataclass(frozen=True)
class Issue:
    index: int
    field: str  # "name", "type", "ttl", "value" or "" (the record as a whole)
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class CleanRecord:
    name: str
    type: str
    ttl: int
    content: str
    index: int = 0
    line: int | None = None

    def key(self) -> tuple[str, str, str]:
        return (self.name, self.type, self.content)

    def as_tuple(self) -> tuple[str, str, int, str]:
        return (self.name, self.type, self.ttl, self.content)


TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS", "PTR")
TARGET_TYPES = ("MX", "NS", "SRV")  # their targets may not be CNAMEs (RFC 2181 10.3)


def ttl_bounds() -> tuple[int, int]:
    return settings.DNS_TTL_MIN, settings.DNS_TTL_MAX


def clean_ttl(value: int | str | None) -> int:
    low, high = ttl_bounds()
    if value is None or str(value).strip() == "":
        return settings.DNS_DEFAULT_TTL
    try:
        names.check_characters(str(value))
    except InvalidName as exc:
        raise ContentError(f"TTL: {exc}") from None
    text = str(value).strip()
    if not text.isdigit():
        raise ContentError("The TTL must be a whole number of seconds.")
    ttl = int(text)
    if not low <= ttl <= high:
        raise ContentError(f"The TTL must be between {low} and {high} seconds.")
    return ttl


def clean_record(zone: str, item: RecordInput, index: int = 0) -> CleanRecord | list[Issue]:
    """One record on its own: a CleanRecord, or the issues found (one per field at most)."""
    issues: list[Issue] = []

    def problem(field: str, message: str) -> None:
        issues.append(Issue(index, field, message, item.line))

    rtype = (item.type or "").strip().upper()
    name = ttl = content = None
    try:
        name = names.owner_name(item.name or "", zone)
    except InvalidName as exc:
        problem("name", f"Name: {exc}")
    if rtype not in TYPES:
        problem("type", f"Record type {rtype or '(none)'} is not supported here.")
    elif rtype == "PTR" and not zone.endswith((".in-addr.arpa.", ".ip6.arpa.")):
        problem("type", "PTR records belong in reverse zones (in-addr.arpa or ip6.arpa).")
    try:
        ttl = clean_ttl(item.ttl)
    except ContentError as exc:
        problem("ttl", str(exc))
    if rtype in TYPES:
        try:
            content = canonical(rtype, item.value or "", zone)
        except (ContentError, InvalidName) as exc:
            problem("value", f"{rtype} value: {exc}")
    if name == zone and rtype == "CNAME":
        problem("type", "The zone apex cannot be a CNAME (it holds the SOA and NS records).")
    if issues:
        return issues
    return CleanRecord(name, rtype, ttl, content, index, item.line)


def validate_records(
    zone: str, inputs: list[RecordInput], *, max_records: int | None = None
) -> tuple[list[CleanRecord], list[Issue]]:
    """The whole set: each record, then the rules between records."""
    clean: list[CleanRecord] = []
    issues: list[Issue] = []
    for index, item in enumerate(inputs):
        result = clean_record(zone, item, index)
        if isinstance(result, list):
            issues.extend(result)
        else:
            clean.append(result)
    issues.extend(set_issues(zone, clean))
    limit = settings.DNS_MAX_RECORDS_PER_ZONE if max_records is None else max_records
    if len(inputs) > limit:
        issues.append(
            Issue(len(inputs) - 1, "", f"A zone may hold at most {limit} records here.", None)
        )
    issues.sort(key=lambda issue: (issue.line or 0, issue.index))
    return clean, issues


def set_issues(zone: str, records: list[CleanRecord]) -> list[Issue]:
    issues: list[Issue] = []
    by_name: dict[str, list[CleanRecord]] = defaultdict(list)
    for record in records:
        by_name[record.name].append(record)
    issues += _duplicates(records)
    issues += _cname_conflicts(by_name)
    issues += _targets_that_are_cnames(records, by_name, zone)
    issues += _ttl_per_rrset(records)
    return issues


def zone_issues(zone: str, records: list[CleanRecord]) -> list[Issue]:
    """The set rules, plus what only a whole zone must have: NS records at its apex."""
    issues = set_issues(zone, records)
    if not any(r.name == zone and r.type == "NS" for r in records):
        issues.append(Issue(0, "", "The zone needs at least one NS record at its apex (@)."))
    return issues


def _issue(record: CleanRecord, field: str, message: str) -> Issue:
    return Issue(record.index, field, message, record.line)


def _duplicates(records: list[CleanRecord]) -> list[Issue]:
    seen: dict[tuple[str, str, str], CleanRecord] = {}
    issues = []
    for record in records:
        first = seen.setdefault(record.key(), record)
        if first is not record:
            where = f" (line {first.line})" if first.line else ""
            issues.append(_issue(record, "", f"Duplicate of an earlier record{where}."))
    return issues


def _cname_conflicts(by_name: dict[str, list[CleanRecord]]) -> list[Issue]:
    issues = []
    for name, group in by_name.items():
        cnames = [r for r in group if r.type == "CNAME"]
        if cnames and len(group) > 1:
            shown = names.unicode_name(name)
            for record in cnames:
                issues.append(
                    _issue(
                        record,
                        "type",
                        f"{shown} has a CNAME and other records; a CNAME must be the only "
                        "record at its name.",
                    )
                )
    return issues


def _target(record: CleanRecord) -> str:
    return record.content.split()[-1]


def _targets_that_are_cnames(records, by_name, zone: str) -> list[Issue]:
    issues = []
    for record in records:
        if record.type not in TARGET_TYPES:
            continue
        target = _target(record)
        if names.in_zone(target, zone) and any(r.type == "CNAME" for r in by_name.get(target, [])):
            issues.append(
                _issue(
                    record,
                    "value",
                    f"The {record.type} target {target} is a CNAME in this zone; point it at "
                    "the host name itself.",
                )
            )
    return issues


def _ttl_per_rrset(records: list[CleanRecord]) -> list[Issue]:
    first_ttl: dict[tuple[str, str], int] = {}
    issues = []
    for record in records:
        ttl = first_ttl.setdefault((record.name, record.type), record.ttl)
        if ttl != record.ttl:
            issues.append(
                _issue(
                    record,
                    "ttl",
                    f"All {record.type} records of {record.name} share one TTL ({ttl}).",
                )
            )
    return issues
