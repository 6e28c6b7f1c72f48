"""Record sets: group records into PowerDNS rrsets, and diff two states into one PATCH."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

Rec = tuple[str, str, int, str]  # name, type, ttl, content
Key = tuple[str, str]  # name, type


def group(records: Iterable[Rec]) -> dict[Key, tuple[int, frozenset[str]]]:
    """{(name, type): (ttl, contents)}."""
    grouped: dict[Key, list] = defaultdict(lambda: [0, set()])
    for name, rtype, ttl, content in records:
        entry = grouped[(name, rtype)]
        entry[0] = int(ttl)
        entry[1].add(content)
    return {key: (ttl, frozenset(contents)) for key, (ttl, contents) in grouped.items()}


def rrset(key: Key, ttl: int, contents: Iterable[str], changetype: str = "REPLACE") -> dict:
    name, rtype = key
    body = {"name": name, "type": rtype, "changetype": changetype}
    if changetype == "REPLACE":
        body["ttl"] = ttl
        body["records"] = [{"content": c, "disabled": False} for c in sorted(contents)]
    return body


def full_rrsets(records: Iterable[Rec]) -> list[dict]:
    return [rrset(key, ttl, contents) for key, (ttl, contents) in sorted(group(records).items())]


def changed_keys(old: Iterable[Rec], new: Iterable[Rec]) -> list[Key]:
    before, after = group(old), group(new)
    return sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def patch_between(old: Iterable[Rec], new: Iterable[Rec]) -> list[dict]:
    """The rrsets that turn OLD into NEW: REPLACE what differs, DELETE what went away.

    DELETEs come first: PowerDNS checks each rrset against the zone as the PATCH goes, so a
    CNAME replaced by an A at the same name must be gone before the A arrives.
    """
    old, new = list(old), list(new)
    after = group(new)
    keys = changed_keys(old, new)
    deletes = [rrset(key, 0, (), "DELETE") for key in keys if key not in after]
    return deletes + [rrset(key, *after[key]) for key in keys if key in after]


def diff(old: Iterable[Rec], new: Iterable[Rec]) -> dict[str, list[list]]:
    """Record-level difference, for revisions and import previews."""
    before, after = set(map(tuple, old)), set(map(tuple, new))
    return {
        "added": [list(r) for r in sorted(after - before)],
        "removed": [list(r) for r in sorted(before - after)],
    }


def from_server(zone_data: dict) -> list[Rec]:
    """PowerDNS's rrsets (GET zone) -> records, SOA left out."""
    records = []
    for item in zone_data.get("rrsets", []):
        if item["type"] == "SOA":
            continue
        for record in item.get("records", []):
            if not record.get("disabled"):
                records.append((item["name"], item["type"], int(item["ttl"]), record["content"]))
    return records
