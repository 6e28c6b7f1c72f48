"""DNSSEC: keys live in PowerDNS (signed live); the DS shown is checked against what is served."""

from __future__ import annotations

import dns.dnssec
import dns.name
import dns.rdatatype

from provisioning.dns import verify
from provisioning.dns.models import Zone, ZoneRevision
from provisioning.engine.backends import BackendError
from provisioning.engine.registry import StepContext

SEP = 0x0001  # the DNSKEY flag of a key-signing (or combined) key


def served_dnskeys(host: str, port: int, zone: str) -> list:
    response = verify.ask(host, port, zone, "DNSKEY", dnssec=True)
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.DNSKEY:
            return list(rrset)
    return []


def computed_ds(zone: str, dnskeys: list) -> set[str]:
    """DS (SHA-256) of each key-signing key, computed with dnspython from the served DNSKEY."""
    name = dns.name.from_text(zone)
    return {dns.dnssec.make_ds(name, key, "SHA256").to_text() for key in dnskeys if key.flags & SEP}


def turn_on(ctx: StepContext) -> None:
    made = ctx.backend.ensure_dnssec(ctx.resource.name)
    ctx.backend.bump_serial(ctx.resource.name)  # also on a rerun: the secondaries need it
    ctx.log("signing key created" if made else "already signed")


def turn_off(ctx: StepContext) -> None:
    removed = ctx.backend.remove_dnssec(ctx.resource.name)
    ctx.backend.bump_serial(ctx.resource.name)
    ctx.log(f"{removed} signing keys removed")


def _record_serial(ctx: StepContext) -> int | None:
    """The serial the switch made is the applied revision's now (its records are the same),
    so the zone page compares the secondaries with it."""
    zone = ctx.resource
    serial = verify.soa_serial(ctx.backend.dns_host, ctx.backend.dns_port, zone.name)
    applied = zone.applied_revision()
    if applied is not None and serial is not None:
        ZoneRevision.objects.filter(pk=applied.pk).update(serial=serial)
    return serial


def check_signed(ctx: StepContext) -> None:
    """The served DNSKEY is signed and the DS PowerDNS reports matches the one we compute."""
    zone = ctx.resource
    host, port = ctx.backend.dns_host, ctx.backend.dns_port
    keys = served_dnskeys(host, port, zone.name)
    computed = computed_ds(zone.name, keys)
    reported = {
        " ".join(ds.split())
        for key in ctx.backend.cryptokeys(zone.name)
        if key.get("active")
        for ds in key.get("ds", [])
    }
    matching = sorted(computed & reported)
    if not matching:
        raise BackendError(
            "The DS record of the zone could not be confirmed from its served DNSKEY.",
            permanent=False,
            detail=f"computed {sorted(computed)}, PowerDNS reports {sorted(reported)}",
        )
    Zone.objects.filter(pk=zone.pk).update(
        ds_records=matching, dnskey_records=sorted(key.to_text() for key in keys if key.flags & SEP)
    )
    serial = _record_serial(ctx)
    ctx.log(f"DS confirmed from the served DNSKEY: {matching[0][:40]}…; SOA serial {serial}")


def check_unsigned(ctx: StepContext) -> None:
    zone = ctx.resource
    if served_dnskeys(ctx.backend.dns_host, ctx.backend.dns_port, zone.name):
        raise BackendError("The zone still serves DNSKEY records.", permanent=False)
    Zone.objects.filter(pk=zone.pk).update(ds_records=[], dnskey_records=[])
    ctx.log(f"no DNSKEY served; SOA serial {_record_serial(ctx)}")
