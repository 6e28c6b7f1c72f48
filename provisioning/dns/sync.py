"""Steps that reach the BIND secondaries of a zone (NOTIFY + AXFR from the PowerDNS primary).

What a secondary is told to do is a step of its own (`Step(each=secondary_servers)`): the
step runs with the secondary's backend (`ctx.backend`, role `dns-secondary`) and reaches the
zone's primary through `primary_of`. A secondary that cannot be reached fails its step
(retried, then the job is undone: the secondaries done before it and the primary).

Waiting for the transfers is one step after them all (`wait_secondaries`, on the primary):
each round asks every secondary of the job for its SOA at once, until all serve the
primary's serial or the one deadline (DNS_SECONDARY_WAIT_SECONDS) passes. A secondary that
answers late or not at all is reported by name (step log, zone page), not an error: the
change is live on the primary and the secondary catches up on its next refresh. With N
secondaries the job still waits one bound, not N.
"""

from __future__ import annotations

import time
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.utils import timezone

from provisioning.dns import verify
from provisioning.dns.choices import SECONDARY_ROLE
from provisioning.dns.models import ZoneSecondary
from provisioning.engine.backends import BackendError, get_backend
from provisioning.engine.registry import StepContext
from provisioning.servers.models import Server

GONE = ("REFUSED", "NXDOMAIN", "SERVFAIL")
POLL_INTERVAL = 0.2  # seconds between two rounds of SOA questions
POLL_THREADS = 8
# The per-secondary steps whose servers `wait_secondaries` waits for.
SECONDARY_STEPS = ("add_to_secondary", "sync_secondary")


def active_secondaries():
    return Server.objects.active().with_role(SECONDARY_ROLE).order_by("pk")


def secondary_servers(job, zone) -> list:
    """`Step.each` for zone jobs: every active secondary when the job is created."""
    return list(active_secondaries())


def primary_if_secondaries(job, zone) -> list:
    """`Step.each` of `wait_secondaries`: the job's server, once, if there is a secondary."""
    return [job.server] if active_secondaries().exists() else []


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


def wait_for_serials(secondaries: dict, zone_name: str, target: int | None):
    """Poll SECONDARIES ({server: backend}) until each serves TARGET or the deadline passes.

    One deadline (DNS_SECONDARY_WAIT_SECONDS) for all of them, in rounds of POLL_INTERVAL:
    each round asks every secondary still behind whose last question has been answered,
    from a few threads, so a secondary that does not answer (its question waits for the DNS
    timeout) holds up neither the others nor the deadline. Returns
    ({server: the serial it last served, or None}, the number of rounds).
    """
    served: dict = {}
    behind, asking, rounds = list(secondaries), {}, 0
    if not behind:
        return served, rounds
    deadline = time.monotonic() + settings.DNS_SECONDARY_WAIT_SECONDS
    pool = ThreadPoolExecutor(max_workers=min(len(behind), POLL_THREADS))
    try:
        while True:
            rounds += 1
            round_ends = time.monotonic() + POLL_INTERVAL
            for server in behind:
                if server not in asking:
                    asking[server] = pool.submit(secondaries[server].serial, zone_name)
            futures.wait(list(asking.values()), timeout=POLL_INTERVAL)
            for server, future in list(asking.items()):
                if future.done():
                    del asking[server]
                    served[server] = future.result()
            behind = [server for server in behind if served.get(server) != target]
            if not behind or time.monotonic() > deadline:
                return served, rounds
            time.sleep(max(0.0, round_ends - time.monotonic()))
    finally:  # a question still out ends on its own within the DNS timeout
        pool.shutdown(wait=False, cancel_futures=True)


def record_serial(zone, server, serial: int | None) -> None:
    ZoneSecondary.objects.update_or_create(
        zone=zone, server=server, defaults={"serial": serial, "checked_at": timezone.now()}
    )


def _wait_and_record(ctx: StepContext, primary, servers: list) -> None:
    """NOTIFY, wait (once, bounded) for SERVERS, record what each served, log the laggards."""
    zone = ctx.resource
    target = verify.soa_serial(primary.dns_host, primary.dns_port, zone.name)
    primary.notify(zone.name)
    secondaries = {server: get_backend(server, SECONDARY_ROLE) for server in servers}
    served, rounds = wait_for_serials(secondaries, zone.name, target)
    for server in servers:
        record_serial(zone, server, served.get(server))
    in_sync = [server.name for server in servers if served.get(server) == target]
    lagging = [
        f"{server.name} (serves {served.get(server)})"
        for server in servers
        if served.get(server) != target
    ]
    line = f"serial {target} after {rounds} rounds"
    if in_sync:
        line += f"; in sync: {', '.join(in_sync)}"
    if lagging:
        line += f"; lagging: {', '.join(lagging)}"
    ctx.log(line)


def wait_secondaries(ctx: StepContext) -> None:
    """After the per-secondary steps: one bounded wait for all of this job's secondaries."""
    ids = ctx.job.steps.filter(name__in=SECONDARY_STEPS).values_list("server_id", flat=True)
    servers = list(Server.objects.filter(pk__in=set(ids)).order_by("pk"))
    if not servers:
        ctx.log("no secondaries")
        return
    _wait_and_record(ctx, ctx.backend, servers)


def add_to_secondary(ctx: StepContext) -> None:
    """Give this secondary the zone (rndc addzone); `wait_secondaries` waits for the transfer."""
    zone, primary = ctx.resource, primary_of(ctx)
    publish_peers(primary, zone.name)
    added = ctx.backend.ensure_zone(zone.name, (primary.dns_host, primary.dns_port))
    if not added:  # a rerun: the zone is there, have it check the serial now
        ctx.backend.refresh(zone.name)
    ctx.log(f"{ctx.server.name}: zone {'added' if added else 'already there'}")


def restore_on_secondary(ctx: StepContext) -> None:
    """Undo of a removal: the zone back on this secondary, waited for (bounded) here, since
    no `wait_secondaries` step follows an undo."""
    add_to_secondary(ctx)
    _wait_and_record(ctx, primary_of(ctx), [ctx.server])


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
    """After a change: make sure this secondary has the zone, may transfer it, and asks for
    the new serial now (rndc refresh: it may not accept the primary's NOTIFY, see
    `BindSecondaryBackend.refresh`).

    The change is live on the primary, so a secondary that is away does not undo it: the
    step logs why (its own row on the job page) and `wait_secondaries` reports it as lagging.
    """
    zone, primary = ctx.resource, primary_of(ctx)
    try:
        publish_peers(primary, zone.name)
        added = ctx.backend.ensure_zone(zone.name, (primary.dns_host, primary.dns_port))
        if not added:  # a new zone is transferred at once; one already there is refreshed
            ctx.backend.refresh(zone.name)
    except BackendError as exc:
        ctx.log(f"{ctx.server.name}: {exc.message}")
    else:
        ctx.log(f"{ctx.server.name}: zone {'added' if added else 'refreshed'}")
