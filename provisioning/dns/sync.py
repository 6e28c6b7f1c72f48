"""Steps that reach the BIND secondaries of a zone (NOTIFY + AXFR from the PowerDNS primary)."""

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


def _secondaries() -> list:
    servers = Server.objects.active().with_role(SECONDARY_ROLE).order_by("pk")
    return [get_backend(server, SECONDARY_ROLE) for server in servers]


def add_to_secondaries(ctx: StepContext) -> None:
    zone, primary = ctx.resource, ctx.backend
    backends = _secondaries()
    if not backends:
        ctx.log("no secondaries")
        return
    key_ids = {primary.ensure_tsig_key(b.tsig_name, b.tsig_secret) for b in backends}
    primary.allow_axfr(zone.name, sorted(key_ids))
    notify = [f"{b.dns_host}:{b.dns_port}" for b in backends]
    primary.set_metadata(zone.name, "ALSO-NOTIFY", notify)
    for backend in backends:
        # A secondary that is down must not undo the zone on the primary: it is reported
        # as lagging (log, zone page) and gets the zone with the zone's next change.
        try:
            backend.ensure_zone(zone.name, (primary.dns_host, primary.dns_port))
        except BackendError as exc:
            ctx.log(f"{backend.server.name}: {exc.message}")
    wait_for_secondaries(ctx)


def remove_from_secondaries(ctx: StepContext) -> None:
    zone = ctx.resource
    for backend in _secondaries():
        ctx.log(f"{backend.server.name}: {backend.remove_zone(zone.name)}")
    ZoneSecondary.objects.filter(zone=zone).delete()


def wait_for_secondaries(ctx: StepContext) -> None:
    """NOTIFY, then wait (bounded) for every secondary to serve the primary's serial.

    A secondary that lags is reported in the step's log and on the zone page, not an error:
    the change is live on the primary, and the secondary catches up on its next refresh.
    """
    zone, primary = ctx.resource, ctx.backend
    backends = _secondaries()
    if not backends:
        ctx.log("no secondaries")
        return
    target = verify.soa_serial(primary.dns_host, primary.dns_port, zone.name)
    primary.notify(zone.name)
    deadline = time.monotonic() + settings.DNS_SECONDARY_WAIT_SECONDS
    serials: dict = {}
    while True:
        serials = {backend: backend.serial(zone.name) for backend in backends}
        if all(serial == target for serial in serials.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    now = timezone.now()
    for backend, serial in serials.items():
        ZoneSecondary.objects.update_or_create(
            zone=zone, server=backend.server, defaults={"serial": serial, "checked_at": now}
        )
    lagging = [b.server.name for b, serial in serials.items() if serial != target]
    if lagging:
        ctx.log(f"serial {target}; lagging: {', '.join(lagging)}")
    else:
        ctx.log(f"{len(backends)} secondaries at serial {target}")


def verify_gone_everywhere(ctx: StepContext) -> None:
    zone = ctx.resource
    for backend in _secondaries():
        status = verify.zone_status(backend.dns_host, backend.dns_port, zone.name)
        if status not in ("REFUSED", "NXDOMAIN", "SERVFAIL"):
            raise BackendError(
                f"The secondary {backend.server.name} still answers for the zone.",
                permanent=False,
                detail=f"{zone.name} SOA: {status}",
            )
    ctx.log("secondaries answer no more")
