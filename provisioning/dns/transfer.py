"""Import (preview, then one change set) and export of zone files."""

from __future__ import annotations

from provisioning.dns import rrsets, services, zonefile
from provisioning.dns.models import Zone, ZoneRevision
from provisioning.dns.validation import CleanRecord, Issue, validate_records


def _keep_apex_ns(zone: Zone, records: list[CleanRecord]) -> list[CleanRecord]:
    if any(r.name == zone.name and r.type == "NS" for r in records):
        return records
    apex_ns = zone.records.filter(name=zone.name, type="NS")
    return [*records, *(CleanRecord(r.name, r.type, r.ttl, r.content) for r in apex_ns)]


def read(zone: Zone, text: str) -> tuple[list[CleanRecord], list[Issue]]:
    inputs, issues = zonefile.parse(text, zone.name)
    clean, problems = validate_records(zone.name, inputs)
    return _keep_apex_ns(zone, clean), sorted(issues + problems, key=lambda i: i.line or 0)


def preview(zone: Zone, records: list[CleanRecord]) -> dict[str, list]:
    """What applying RECORDS would add, change (same name and type) and remove."""
    before = rrsets.group(r.as_tuple() for r in zone.records.all())
    after = rrsets.group(r.as_tuple() for r in records)
    summary: dict[str, list] = {"added": [], "changed": [], "removed": []}
    for key in sorted(before.keys() | after.keys()):
        if key not in before:
            summary["added"].append((key, after[key]))
        elif key not in after:
            summary["removed"].append((key, before[key]))
        elif before[key] != after[key]:
            summary["changed"].append((key, before[key], after[key]))
    return summary


def apply_import(
    zone: Zone, text: str, *, actor, records: list[CleanRecord] | None = None
) -> ZoneRevision:
    """Apply TEXT as one change set (RECORDS: TEXT already read and found valid)."""
    if records is None:
        records, issues = read(zone, text)
        if issues:
            raise services.RecordsRefused(issues)
    return services.replace_records(zone, records, actor=actor, reason="zone file imported")


def export_text(zone: Zone) -> str:
    applied = zone.applied_revision()
    return zonefile.export(zone.name, [tuple(r) for r in applied.records] if applied else [])
