"""An API change set (rrsets to replace or delete) turned into the zone's next record set.

The rules are provisioning.dns's: each new value is validated as the zone page validates it,
then the whole resulting set, and `services.replace_records` applies it as one revision and
one job (one PATCH to PowerDNS). Nothing is written when any rrset is refused; every issue
names the rrset (its index in the request) it belongs to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from provisioning.dns import names, rrsets, services
from provisioning.dns.models import Zone, ZoneRevision
from provisioning.dns.services import RecordsRefused
from provisioning.dns.validation import (
    CleanRecord,
    Issue,
    RecordInput,
    validate_records,
    zone_issues,
)


def _owner(zone: Zone, text: str, index: int) -> str:
    try:
        return names.owner_name(text, zone.name)
    except names.InvalidName as exc:
        raise RecordsRefused([Issue(index, "name", f"Name: {exc}")]) from None


def _inputs(zone: Zone, changes: list[dict]) -> tuple[set[tuple[str, str]], list, list[int]]:
    """The rrsets the change set touches, the new records' inputs, and for each input the
    index of the rrset it came from."""
    touched: set[tuple[str, str]] = set()
    inputs: list[RecordInput] = []
    origin: list[int] = []
    for index, change in enumerate(changes):
        key = (_owner(zone, change["name"], index), change["type"])
        if key in touched:
            message = f"{key[0]} {key[1]} appears twice in the change set."
            raise RecordsRefused([Issue(index, "", message)])
        touched.add(key)
        if change["changetype"] == "REPLACE":
            for value in change["values"]:
                inputs.append(RecordInput(key[0], key[1], change.get("ttl"), value))
                origin.append(index)
    return touched, inputs, origin


def _renumbered(issues: list[Issue], origin: list[int]) -> list[Issue]:
    """Issues re-indexed by rrset (an issue of a record kept as it was has index -1)."""
    return [
        Issue(origin[i.index] if 0 <= i.index < len(origin) else -1, i.field, i.message)
        for i in issues
    ]


def next_records(zone: Zone, changes: list[dict]) -> list[CleanRecord]:
    """The zone's records with CHANGES made, validated as a whole; RecordsRefused if not."""
    touched, inputs, origin = _inputs(zone, changes)
    clean, issues = validate_records(zone.name, inputs)
    if issues:
        raise RecordsRefused(_renumbered(issues, origin))
    kept = [
        CleanRecord(r.name, r.type, r.ttl, r.content, index=-1)
        for r in zone.records.all()
        if (r.name, r.type) not in touched
    ]
    result = kept + clean
    issues = zone_issues(zone.name, result)  # new records keep their input's index
    if issues:
        raise RecordsRefused(_renumbered(issues, origin))
    limit = settings.DNS_MAX_RECORDS_PER_ZONE
    if len(result) > limit:
        raise RecordsRefused([Issue(-1, "", f"A zone may hold at most {limit} records here.")])
    return result


@transaction.atomic
def apply_change_set(zone: Zone, changes: list[dict], *, actor) -> ZoneRevision:
    zone = services.lock_zone(zone)
    records = next_records(zone, changes)
    return services.replace_records(zone, records, actor=actor, reason="API change set")


def rrset_list(records) -> list[dict]:
    """Records grouped into rrsets: [{name, type, ttl, values}] with canonical values."""
    grouped = rrsets.group(r.as_tuple() for r in records)
    return [
        {"name": name, "type": rtype, "ttl": ttl, "values": sorted(contents)}
        for (name, rtype), (ttl, contents) in sorted(grouped.items())
    ]
