"""Drift: each zone's latest applied revision against PowerDNS's rrsets, and stray zones.

Read-only; the admin decides: re-apply the panel's revision (a job), or adopt the server's
state as a new revision (recorded as applied: the server already serves it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from provisioning.dns import rrsets, services, verify
from provisioning.dns.choices import RevisionState
from provisioning.dns.models import Zone, ZoneRevision
from provisioning.engine.backends import BackendError, get_backend
from provisioning.engine.choices import ResourceState
from provisioning.engine.drift import DriftRule, Finding
from provisioning.servers.models import Server
from security import audit


@dataclass
class ZoneDrift:
    zone: Zone
    missing: list[tuple] = field(default_factory=list)  # in the revision, not on the server
    unexpected: list[tuple] = field(default_factory=list)  # on the server, not in the revision
    error: str = ""

    @property
    def drifted(self) -> bool:
        return bool(self.missing or self.unexpected or self.error)


def _normalised(records) -> set[tuple]:
    return {(n, t, int(ttl), verify.normalise(t, c)) for n, t, ttl, c in records}


def server_records(zone: Zone) -> list[tuple] | None:
    data = get_backend(zone.server, "dns").inspect_zone(zone.name)
    return None if data is None else rrsets.from_server(data)


def check_zone(zone: Zone) -> ZoneDrift:
    result = ZoneDrift(zone)
    applied = zone.applied_revision()
    try:
        served = server_records(zone)
    except BackendError as exc:
        result.error = exc.message
        return result
    if served is None:
        result.error = "The zone is missing on the server."
        return result
    wanted = _normalised(applied.records if applied else [])
    have = _normalised(served)
    result.missing, result.unexpected = sorted(wanted - have), sorted(have - wanted)
    return result


def strays(server: Server) -> list[str]:
    """Zones PowerDNS serves that no account owns."""
    known = set(Zone.objects.filter(server=server).values_list("name", flat=True))
    return [name for name in get_backend(server, "dns").list_zones() if name not in known]


def report() -> tuple[list[ZoneDrift], dict[str, list[str]]]:
    zones = Zone.objects.filter(state=ResourceState.ACTIVE).select_related("server")
    drifts = [d for d in (check_zone(zone) for zone in zones) if d.drifted]
    found = {}
    for server in Server.objects.active().with_role("dns"):
        try:
            found[server.name] = strays(server)
        except BackendError as exc:
            found[server.name] = [f"(not checked: {exc.message})"]
    return drifts, found


@transaction.atomic
def reapply(zone: Zone, *, actor) -> ZoneRevision:
    """Put the panel's latest revision back on the server, as one more change set."""
    zone = services.lock_zone(zone)
    served = server_records(zone) or []
    applied = zone.applied_revision()
    # Record what the server really holds as the baseline, so the PATCH undoes the drift.
    baseline = services.new_revision(zone, served, "server state before re-apply", actor)
    ZoneRevision.objects.filter(pk=baseline.pk).update(state=RevisionState.APPLIED)
    services.replace_working(zone, [tuple(r) for r in applied.records])
    audit.record(actor, "dns.drift_reapplied", target=zone, baseline=baseline.number)
    return services.apply_changes(zone, actor=actor, reason=f"re-apply #{applied.number}")


@transaction.atomic
def adopt(zone: Zone, *, actor) -> ZoneRevision:
    """Record the server's current rrsets as a new applied revision (and the working copy)."""
    zone = services.lock_zone(zone)
    served = server_records(zone) or []
    revision = services.new_revision(zone, served, "adopted from the server", actor)
    ZoneRevision.objects.filter(pk=revision.pk).update(state=RevisionState.APPLIED)
    services.replace_working(zone, served)
    audit.record(actor, "dns.drift_adopted", target=zone, revision=revision.number)
    return revision


def findings() -> tuple[int, list[Finding]]:
    """The engine's drift rule for DNS: zones that differ from their revision, and strays."""
    drifts, found = report()
    rows = [
        Finding(
            server=d.zone.server,
            resource_id=d.zone.pk,
            label=d.zone.name,
            problem=(
                d.error
                or f"{len(d.missing)} records missing on the server, "
                f"{len(d.unexpected)} only on the server."
            ),
        )
        for d in drifts
    ]
    servers = {s.name: s for s in Server.objects.filter(name__in=found)}
    for server_name, names in found.items():
        rows.extend(
            Finding(
                server=servers.get(server_name),
                resource_id=None,
                label=name[:255],
                problem="A zone on the server that no account owns (stray).",
            )
            for name in names
        )
    return Zone.objects.filter(state=ResourceState.ACTIVE).count(), rows


DRIFT_RULE = DriftRule(kind="dns_zone", check=findings)
