"""Steps that reach the BIND secondaries of a zone (NOTIFY + AXFR from the PowerDNS primary).

Each secondary is a step of its own (`Step(each=secondary_servers)`): the step runs with the
secondary's backend (`ctx.backend`, role `dns-secondary`) and reaches the zone's primary
through `primary_of`. A secondary that cannot be reached fails its step (retried, then the
job is undone: the secondaries done before it and the primary); a secondary that answers but
lags behind the primary's serial is reported, not an error (it catches up on its next
refresh).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone

from provisioning.dns import verify
from provisioning.dns.choices import SECONDARY_ROLE
from provisioning.dns.models import ZoneSecondary
from provisioning.engine.backends import BackendError, get_backend
from provisioning.engine.registry import StepContext
from provisioning.servers.models import Server

GONE = ("REFUSED", "NXDOMAIN", "SERVFAIL")


def active_secondaries():
    return Server.objects.active().with_role(SECONDARY_ROLE).order_by("pk")


def secondary_servers(job, zone) -> list:
    """`Step.each` for zone jobs: every active secondary when the job is created."""
    return list(active_secondaries())


def primary_of(ctx: StepContext):
    """The PowerDNS backend of the job's server (the zone's primary)."""
    return get_backend(ctx.job.server, "dns")


def publish_peers(primary, zone_name: str) -> int:
    """Let every active secondary transfer ZONE_NAME (its TSIG key) and be NOTIFYed.

    Computed from the servers table, not added to what is there: a retired secondary
    drops out, and two jobs setting it at once agree on the result.
    """
    backends = [get_backend(server, SECONDARY_ROLE) for server in active_secondaries()]
    key_ids = {primary.ensure_tsig_key(b.tsig_name, b.tsig_secret) for b in backends}
    primary.allow_axfr(zone_name, sorted(key_ids))
    notify = [_notify_address(b.dns_host, b.dns_port) for b in backends]
    primary.set_metadata(zone_name, "ALSO-NOTIFY", notify)
    return len(backends)


def _notify_address(host: str, port: int) -> str:
    address = verify.resolve(host)
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def wait_for_serial(secondary, zone_name: str, target: int | None) -> int | None:
    """Poll SECONDARY (bounded by DNS_SECONDARY_WAIT_SECONDS) until it serves TARGET."""
    deadline = time.monotonic() + settings.DNS_SECONDARY_WAIT_SECONDS
    while True:
        served = secondary.serial(zone_name)
        if served == target or time.monotonic() > deadline:
            return served
        time.sleep(0.2)


def record_serial(zone, server, serial: int | None) -> None:
    ZoneSecondary.objects.update_or_create(
        zone=zone, server=server, defaults={"serial": serial, "checked_at": timezone.now()}
    )


def _wait_and_record(ctx: StepContext, primary, *, notify: bool) -> None:
    zone, secondary = ctx.resource, ctx.backend
    target = verify.soa_serial(primary.dns_host, primary.dns_port, zone.name)
    if notify:
        primary.notify(zone.name)
    served = wait_for_serial(secondary, zone.name, target)
    record_serial(zone, ctx.server, served)
    if served == target:
        ctx.log(f"{ctx.server.name} at serial {target}")
    else:
        ctx.log(f"serial {target}; lagging: {ctx.server.name} (serves {served})")


def add_to_secondary(ctx: StepContext) -> None:
    """Give this secondary the zone (rndc addzone), then wait for its first transfer."""
    zone, primary = ctx.resource, primary_of(ctx)
    publish_peers(primary, zone.name)
    added = ctx.backend.ensure_zone(zone.name, (primary.dns_host, primary.dns_port))
    ctx.log(f"{ctx.server.name}: zone {'added' if added else 'already there'}")
    _wait_and_record(ctx, primary, notify=not added)


def remove_from_secondary(ctx: StepContext) -> None:
    """Take the zone off this secondary (rndc delzone -clean) and check it answers no more."""
    zone, secondary = ctx.resource, ctx.backend
    ctx.log(f"{ctx.server.name}: {secondary.remove_zone(zone.name)}")
    status = verify.zone_status(secondary.dns_host, secondary.dns_port, zone.name)
    if status not in GONE:
        raise BackendError(
            f"The secondary {ctx.server.name} still answers for the zone.",
            permanent=False,
            detail=f"{zone.name} SOA: {status}",
        )
    ZoneSecondary.objects.filter(zone=zone, server=ctx.server).delete()


def sync_secondary(ctx: StepContext) -> None:
    """After a change: NOTIFY, wait (bounded) for this secondary, report it if it lags.

    The change is live on the primary, so a secondary that is away does not undo it: the
    step logs it as lagging (zone page too) and gives it the zone if it lacks it.
    """
    zone, primary = ctx.resource, primary_of(ctx)
    try:
        publish_peers(primary, zone.name)
        ctx.backend.ensure_zone(zone.name, (primary.dns_host, primary.dns_port))
    except BackendError as exc:
        ctx.log(f"{ctx.server.name}: {exc.message}")
    _wait_and_record(ctx, primary, notify=True)
