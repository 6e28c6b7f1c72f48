"""DNS job kinds: each a list of idempotent steps with their compensation (see registry)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.db import transaction

from provisioning.dns import dnssec, rrsets, sync, verify
from provisioning.dns.choices import SECONDARY_ROLE, RevisionState
from provisioning.dns.drift import DRIFT_RULE
from provisioning.dns.models import Zone, ZoneRevision
from provisioning.engine.backends import BackendError
from provisioning.engine.choices import ResourceState
from provisioning.engine.drift import register_drift_rule
from provisioning.engine.registry import JobKind, Step, StepContext, register

VERIFY_THREADS = 8

# --- helpers -----------------------------------------------------------------------------


def _revision(ctx: StepContext) -> ZoneRevision:
    return ZoneRevision.objects.get(pk=ctx.job.params["revision"])


def _previous(revision: ZoneRevision) -> list:
    before = (
        ZoneRevision.objects.filter(
            zone_id=revision.zone_id, state=RevisionState.APPLIED, number__lt=revision.number
        )
        .order_by("-number")
        .first()
    )
    return before.records if before else []


def _dns(ctx: StepContext) -> tuple[str, int]:
    return ctx.backend.dns_host, ctx.backend.dns_port


def _check_rrsets(ctx: StepContext, records: list, keys: list) -> None:
    """Ask the primary for each rrset in KEYS; BackendError naming the first that differs.

    The questions go out from a few threads at once: a 1,000-rrset import is checked in a
    fraction of the time one question after another would take.
    """
    host, port = _dns(ctx)
    wanted = rrsets.group(map(tuple, records))
    with ThreadPoolExecutor(max_workers=VERIFY_THREADS) as pool:
        served_all = list(pool.map(lambda key: verify.answered(host, port, *key), keys))
    for (name, rtype), (ttl, served) in zip(keys, served_all, strict=True):
        if (name, rtype) in wanted:
            want_ttl, contents = wanted[(name, rtype)]
            expected = {verify.normalise(rtype, content) for content in contents}
            if served != expected or ttl != want_ttl:
                raise BackendError(
                    f"The DNS server does not answer the new {rtype} records of {name}.",
                    detail=f"{name} {rtype}: expected {sorted(expected)} ttl {want_ttl}, "
                    f"served {sorted(served)} ttl {ttl}",
                )
        elif served:
            raise BackendError(
                f"The DNS server still answers the removed {rtype} records of {name}.",
                detail=f"{name} {rtype}: still served {sorted(served)}",
            )
    ctx.log(f"{len(keys)} rrsets answered as expected")


# --- zone create / delete ----------------------------------------------------------------


def create_zone(ctx: StepContext) -> None:
    zone, revision = ctx.resource, _revision(ctx)
    soa = {
        "name": zone.name,
        "type": "SOA",
        "ttl": 3600,
        "records": [{"content": ctx.backend.soa_content(zone.name), "disabled": False}],
    }
    body = [soa, *rrsets.full_rrsets(map(tuple, revision.records))]
    created = ctx.backend.ensure_zone(zone.name, body)
    ZoneRevision.objects.filter(pk=revision.pk, serial_before__isnull=True).update(serial_before=0)
    ctx.log(f"zone {zone.name} {'created' if created else 'already there'} on the primary")


def remove_zone(ctx: StepContext) -> None:
    zone = ctx.resource
    ctx.log(f"zone {zone.name}: {ctx.backend.remove_zone(zone.name)}")


def verify_zone(ctx: StepContext) -> None:
    zone, revision = ctx.resource, _revision(ctx)
    host, port = _dns(ctx)
    serial = verify.soa_serial(host, port, zone.name)
    if serial is None:
        raise BackendError("The DNS server does not answer for the new zone.", permanent=False)
    keys = sorted(rrsets.group(map(tuple, revision.records)))
    _check_rrsets(ctx, revision.records, keys)
    ZoneRevision.objects.filter(pk=revision.pk).update(serial=serial)
    ctx.log(f"SOA serial {serial}")


def verify_gone(ctx: StepContext) -> None:
    zone = ctx.resource
    status = verify.zone_status(*_dns(ctx), zone.name)
    if status not in ("REFUSED", "NXDOMAIN"):
        raise BackendError(
            "The DNS server still answers for the deleted zone.",
            permanent=False,
            detail=f"SOA {zone.name}: {status}",
        )
    ctx.log(f"primary answers {status}")


# --- change sets -------------------------------------------------------------------------


def apply_change(ctx: StepContext) -> None:
    zone, revision = ctx.resource, _revision(ctx)
    if revision.serial_before is None:
        serial = verify.soa_serial(*_dns(ctx), zone.name) or 0
        ZoneRevision.objects.filter(pk=revision.pk).update(serial_before=serial)
    patch = rrsets.patch_between(map(tuple, _previous(revision)), map(tuple, revision.records))
    ctx.backend.patch_rrsets(zone.name, patch)
    ctx.log(f"{len(patch)} rrsets changed in one PATCH")


def restore_previous(ctx: StepContext) -> None:
    zone, revision = ctx.resource, _revision(ctx)
    patch = rrsets.patch_between(map(tuple, revision.records), map(tuple, _previous(revision)))
    ctx.backend.patch_rrsets(zone.name, patch)
    ctx.log(f"previous revision restored ({len(patch)} rrsets)")


def verify_change(ctx: StepContext) -> None:
    zone, revision = ctx.resource, _revision(ctx)
    keys = rrsets.changed_keys(map(tuple, _previous(revision)), map(tuple, revision.records))
    _check_rrsets(ctx, revision.records, keys)
    serial = verify.soa_serial(*_dns(ctx), zone.name)
    if serial is None or (keys and serial <= (revision.serial_before or 0)):
        raise BackendError(
            "The DNS server did not publish a new SOA serial.",
            detail=f"serial before {revision.serial_before}, served {serial}",
        )
    ZoneRevision.objects.filter(pk=revision.pk).update(serial=serial)
    ctx.log(f"SOA serial {revision.serial_before} -> {serial}")


# --- outcomes ----------------------------------------------------------------------------


def _set_revision(job, **fields) -> None:
    revision_id = job.params.get("revision")
    if revision_id:
        ZoneRevision.objects.filter(pk=revision_id).update(**fields)


def zone_ready(job, zone) -> None:
    _set_revision(job, state=RevisionState.APPLIED)
    if zone is not None:
        Zone.objects.filter(pk=zone.pk).update(state=ResourceState.ACTIVE, error_message="")


def zone_failed(job, zone) -> None:
    _set_revision(job, state=RevisionState.FAILED, error_message=job.error_message)
    if zone is not None:
        Zone.objects.filter(pk=zone.pk).update(
            state=ResourceState.FAILED, error_message=job.error_message
        )


def change_failed(job, zone) -> None:
    """The previous revision is back on the server: the zone stays usable, with the reason."""
    _set_revision(job, state=RevisionState.FAILED, error_message=job.error_message)
    if zone is not None:
        number = ZoneRevision.objects.filter(pk=job.params.get("revision")).values_list(
            "number", flat=True
        )
        message = f"Change #{number.first()} was not applied: {job.error_message}"
        Zone.objects.filter(pk=zone.pk).update(
            state=ResourceState.ACTIVE, error_message=message[:500]
        )


def zone_gone(job, zone) -> None:
    if zone is not None:
        with transaction.atomic():
            zone.delete()


def delete_failed(job, zone) -> None:
    if zone is not None:
        Zone.objects.filter(pk=zone.pk).update(
            state=ResourceState.ACTIVE, error_message=job.error_message
        )


# --- kinds -------------------------------------------------------------------------------


def _on_each_secondary(name: str, do, undo=None) -> Step:
    """One step per active secondary (its own server, its own retries and undo)."""
    return Step(name, do, undo, role=SECONDARY_ROLE, each=sync.secondary_servers)


def _wait_for_secondaries() -> Step:
    """One step, on the primary: every secondary of the job polled together, one bound
    (no step when there is no secondary, like the per-secondary steps)."""
    return Step("wait_secondaries", sync.wait_secondaries, each=sync.primary_if_secondaries)


register_drift_rule(DRIFT_RULE)

register(
    JobKind(
        name="dns_zone.create",
        role="dns",
        steps=[
            Step("create_zone", create_zone, remove_zone),
            Step("verify", verify_zone),
            _on_each_secondary(
                "add_to_secondary", sync.add_to_secondary, sync.remove_from_secondary
            ),
            _wait_for_secondaries(),
        ],
        running_state=ResourceState.PENDING,
        on_done=zone_ready,
        on_failed=zone_failed,
    )
)
register(
    JobKind(
        name="dns_zone.change",
        role="dns",
        steps=[
            Step("apply", apply_change, restore_previous),
            Step("verify", verify_change),
            _on_each_secondary("sync_secondary", sync.sync_secondary),
            _wait_for_secondaries(),
        ],
        running_state=ResourceState.UPDATING,
        on_done=zone_ready,
        on_failed=change_failed,
    )
)
register(
    JobKind(
        name="dns_zone.delete",
        role="dns",
        steps=[
            _on_each_secondary(
                "remove_from_secondary", sync.remove_from_secondary, sync.restore_on_secondary
            ),
            Step("remove_zone", remove_zone),
            Step("verify_gone", verify_gone),
        ],
        running_state=ResourceState.DELETING,
        on_done=zone_gone,
        on_failed=delete_failed,
    )
)


# --- DNSSEC ------------------------------------------------------------------------------


def _dnssec_outcome(enabled: bool):
    def done(job, zone) -> None:
        if zone is not None:
            Zone.objects.filter(pk=zone.pk).update(
                dnssec=enabled, state=ResourceState.ACTIVE, error_message=""
            )

    return done


def dnssec_failed(job, zone) -> None:
    if zone is not None:
        Zone.objects.filter(pk=zone.pk).update(
            state=ResourceState.ACTIVE, error_message=job.error_message
        )


register(
    JobKind(
        name="dns_zone.dnssec_on",
        role="dns",
        steps=[
            Step("create_keys", dnssec.turn_on, dnssec.turn_off),
            Step("check_ds", dnssec.check_signed),
            _on_each_secondary("sync_secondary", sync.sync_secondary),
            _wait_for_secondaries(),
        ],
        running_state=ResourceState.UPDATING,
        on_done=_dnssec_outcome(True),
        on_failed=dnssec_failed,
    )
)
register(
    JobKind(
        name="dns_zone.dnssec_off",
        role="dns",
        steps=[
            Step("remove_keys", dnssec.turn_off, dnssec.turn_on),
            Step("check_unsigned", dnssec.check_unsigned),
            _on_each_secondary("sync_secondary", sync.sync_secondary),
            _wait_for_secondaries(),
        ],
        running_state=ResourceState.UPDATING,
        on_done=_dnssec_outcome(False),
        on_failed=dnssec_failed,
    )
)
