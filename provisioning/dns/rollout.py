"""A secondary joins or leaves: every hosted zone pushed to it, or taken off it, as one job.

The job's resource is the secondary's Server row. Its steps come in batches of BATCH zones
(one step each, so the job page shows how far it got and a rerun resumes at the first batch
not done), plus one step per primary to publish the new set of secondaries (TSIG key allowed
to transfer, ALSO-NOTIFY) on each of its zones.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.db import transaction

from provisioning.dns import sync, verify
from provisioning.dns.choices import SECONDARY_ROLE
from provisioning.dns.models import Zone, ZoneSecondary
from provisioning.engine.backends import get_backend
from provisioning.engine.choices import ResourceState
from provisioning.engine.jobs import create_job
from provisioning.engine.registry import JobKind, Step, StepContext, register
from provisioning.servers.models import Server
from security import audit

BATCH = 25


# --- services ----------------------------------------------------------------------------


def _zone_ids() -> list[int]:
    live = Zone.objects.exclude(state__in=[ResourceState.FAILED, ResourceState.DELETING])
    return list(live.order_by("pk").values_list("pk", flat=True))


def _job(kind: str, server: Server, actor, zone_ids: list[int]):
    return create_job(
        kind,
        server,
        server=server,
        actor=actor,
        lock_scope=f"dns-secondary:{server.pk}",
        params={"zones": zone_ids},
    )


@transaction.atomic
def push_zones(server: Server, *, actor):
    """SERVER became a secondary: give it every zone the panel hosts (a job)."""
    zone_ids = _zone_ids()
    job = _job("dns_secondary.push", server, actor, zone_ids)
    audit.record(actor, "dns.secondary_added", target=server, zones=len(zone_ids), job=job.pk)
    return job


@transaction.atomic
def retire_zones(server: Server, *, actor):
    """SERVER stops being a secondary: take every zone off it (a job)."""
    held = ZoneSecondary.objects.filter(server=server).values_list("zone_id", flat=True)
    zone_ids = sorted(set(_zone_ids()) | set(held))
    job = _job("dns_secondary.retire", server, actor, zone_ids)
    audit.record(actor, "dns.secondary_retired", target=server, zones=len(zone_ids), job=job.pk)
    return job


# --- which servers the steps act on ------------------------------------------------------


def _batches(job, server) -> list:
    return [server] * math.ceil(len(job.params["zones"]) / BATCH)


def _primaries(job, server) -> list:
    ids = Zone.objects.filter(pk__in=job.params["zones"]).values_list("server_id", flat=True)
    return list(Server.objects.filter(pk__in=set(ids)).order_by("pk"))


def _batch(ctx: StepContext) -> list[Zone]:
    """The zones of this step: its rank among the job's steps of the same name."""
    rank = ctx.job.steps.filter(name=ctx.step.name, position__lt=ctx.step.position).count()
    ids = ctx.job.params["zones"][rank * BATCH : (rank + 1) * BATCH]
    zones = Zone.objects.filter(pk__in=ids).select_related("server")
    return list(zones.exclude(state=ResourceState.DELETING).order_by("pk"))


class _Primaries(dict):
    """PowerDNS backends by server id, made when first needed."""

    def __missing__(self, server):
        backend = self[server] = get_backend(server, "dns")
        return backend


# --- steps -------------------------------------------------------------------------------


def publish_transfers(ctx: StepContext) -> None:
    """On this primary: every zone of the job lists the active secondaries (or no more)."""
    zones = Zone.objects.filter(pk__in=ctx.job.params["zones"], server=ctx.server)
    done = 0
    for zone in zones.exclude(state=ResourceState.DELETING).order_by("pk"):
        if ctx.backend.inspect_zone(zone.name) is not None:  # a zone still being created
            sync.publish_peers(ctx.backend, zone.name)
            done += 1
    ctx.log(f"{done} zones list the active secondaries")


def push_batch(ctx: StepContext) -> None:
    primaries, added = _Primaries(), 0
    for zone in _batch(ctx):
        primary = primaries[zone.server]
        added += ctx.backend.ensure_zone(zone.name, (primary.dns_host, primary.dns_port))
    ctx.log(f"{ctx.server.name}: {added} zones added")


def remove_batch(ctx: StepContext) -> None:
    """Take this batch's zones off the secondary (undoes a push; retires a secondary)."""
    zones = _batch(ctx)
    for zone in zones:
        ctx.backend.remove_zone(zone.name)
    ZoneSecondary.objects.filter(server=ctx.server, zone__in=zones).delete()
    ctx.log(f"{ctx.server.name}: {len(zones)} zones removed")


def check_serials(ctx: StepContext) -> None:
    """Wait for the secondary to serve each zone at its primary's serial: one deadline
    (DNS_SECONDARY_WAIT_SECONDS) for all of them, not one per zone."""
    ids = ctx.job.params["zones"]
    zones = Zone.objects.filter(pk__in=ids).exclude(state=ResourceState.DELETING)
    primaries, targets = _Primaries(), {}
    for zone in zones.select_related("server").order_by("pk"):
        primary = primaries[zone.server]
        targets[zone] = verify.soa_serial(primary.dns_host, primary.dns_port, zone.name)
    served: dict = {}
    deadline = time.monotonic() + settings.DNS_SECONDARY_WAIT_SECONDS
    while True:
        for zone in [z for z in targets if served.get(z) != targets[z]]:
            served[zone] = ctx.backend.serial(zone.name)
        lagging = [zone.name for zone in targets if served.get(zone) != targets[zone]]
        if not lagging or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    for zone in targets:
        sync.record_serial(zone, ctx.server, served.get(zone))
    summary = f"{len(targets) - len(lagging)} of {len(targets)} zones in sync"
    ctx.log(f"{summary}; lagging: {', '.join(lagging[:10])}" if lagging else summary)


def _nothing(job, server) -> None:
    """The server row needs no change: the job (its steps and their logs) is the record."""


# --- signal receivers (connected in apps.ready) ------------------------------------------


def on_roles_added(sender, *, server, roles, actor, **kwargs) -> None:
    if SECONDARY_ROLE in roles and server.is_active:
        push_zones(server, actor=actor)


def on_retired(sender, *, server, actor, **kwargs) -> None:
    if SECONDARY_ROLE in server.roles:
        retire_zones(server, actor=actor)


register(
    JobKind(
        name="dns_secondary.push",
        role=SECONDARY_ROLE,
        steps=[
            Step("publish_transfers", publish_transfers, role="dns", each=_primaries),
            Step("push_zones", push_batch, remove_batch, each=_batches),
            Step("check_serials", check_serials),
        ],
        running_state="",
        on_done=_nothing,
        on_failed=_nothing,
    )
)
register(
    JobKind(
        name="dns_secondary.retire",
        role=SECONDARY_ROLE,
        steps=[
            Step("retire_zones", remove_batch, each=_batches),
            Step("publish_transfers", publish_transfers, role="dns", each=_primaries),
        ],
        running_state="",
        on_done=_nothing,
        on_failed=_nothing,
    )
)
