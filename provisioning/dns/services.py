"""Every change to customers' zones: validated, audited, turned into a job (one per change set)."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from accounts.models import HostingAccount
from panel.errors import Kind
from provisioning.dns import names, rrsets
from provisioning.dns.models import Record, Zone, ZoneRevision, ZoneTemplate
from provisioning.dns.quota import zones_used
from provisioning.dns.validation import CleanRecord, Issue, RecordInput, set_issues, zone_issues
from provisioning.dns.validation import validate_records as validate
from provisioning.engine.choices import ResourceState
from provisioning.engine.jobs import create_job
from provisioning.exceptions import (
    BusyResource,
    NameRefused,
    NoServerAvailable,
    NotVerified,
    ProvisioningError,
    QuotaExceeded,
)
from provisioning.servers.models import Server
from security import audit


class RecordsRefused(ProvisioningError):
    """The record set breaks a rule; `issues` says which record, which field and why."""

    code = "records_refused"

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(str(issues[0]) if issues else "The records are not valid.")
        self.issues = issues


class NothingToApply(ProvisioningError):
    kind = Kind.CONFLICT
    code = "nothing_to_apply"


def _check_actor(account: HostingAccount, actor) -> None:
    if actor is not None and not actor.is_admin and not actor.is_verified:
        raise NotVerified("Confirm your email address before adding DNS zones.")
    if not account.is_active:
        raise NotVerified("This hosting account is suspended.")


def _pick_server() -> Server:
    server = Server.objects.active().with_role("dns").order_by("pk").first()
    if server is None:
        raise NoServerAvailable("No DNS server is available right now; try again later.")
    return server


def _check_free(account: HostingAccount, name: str) -> None:
    """Refuse a zone hosted here already, or inside/around another account's zone."""
    parents = [name.split(".", i)[-1] for i in range(1, name.count(".") - 1)]
    clash = (
        Zone.objects.filter(Q(name=name) | Q(name__in=parents) | Q(name__endswith="." + name))
        .values_list("account_id", "name")
        .first()
    )
    if clash is None:
        return
    owner, existing = clash
    if existing == name:
        if owner == account.pk:
            raise NameRefused(f"You already host {names.unicode_name(name)}.")
        raise NameRefused(f"{names.unicode_name(name)} is already hosted on this panel.")
    if owner != account.pk:
        raise NameRefused(
            f"{names.unicode_name(name)} overlaps a zone already hosted on this panel."
        )


def _template(slug: str) -> ZoneTemplate | None:
    if not slug:
        return None
    template = ZoneTemplate.objects.filter(slug=slug).first()
    if template is None:
        raise NameRefused("Choose one of the offered templates.")
    return template


def save_template(form, *, actor) -> ZoneTemplate:
    """Save a valid ZoneTemplateForm (new or edited), audited."""
    created = form.instance.pk is None
    saved = form.save()
    action = "dns.template_created" if created else "dns.template_updated"
    audit.record(actor, action, target=saved, records=len(saved.records))
    return saved


def delete_template(template: ZoneTemplate, *, actor) -> None:
    """Zones started from it keep their records; new zones can no longer choose it."""
    audit.record(actor, "dns.template_deleted", target=template)
    template.delete()


def _initial_inputs(server: Server, template: ZoneTemplate | None) -> list[RecordInput]:
    nameservers = server.settings_for("dns").get("nameservers") or settings.DNS_NAMESERVERS
    inputs = [RecordInput("@", "NS", None, ns) for ns in nameservers]
    for name, rtype, value in template.records if template else []:
        inputs.append(RecordInput(name, rtype, None, value))
    return inputs


def new_revision(zone: Zone, records: list[tuple], reason: str, actor) -> ZoneRevision:
    before = zone.applied_revision()
    number = (zone.revisions.aggregate(top=Max("number"))["top"] or 0) + 1
    return ZoneRevision.objects.create(
        zone=zone,
        number=number,
        reason=reason[:100],
        records=[list(r) for r in sorted(records)],
        diff=rrsets.diff(map(tuple, before.records) if before else [], records),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _job(kind: str, zone: Zone, actor, revision: ZoneRevision | None = None) -> None:
    create_job(
        kind,
        zone,
        server=zone.server,
        account=zone.account,
        actor=actor,
        lock_scope=zone.lock_scope,
        params={"revision": revision.pk} if revision else {},
    )


@transaction.atomic
def create_zone(account: HostingAccount, name: str, *, template: str = "", actor) -> Zone:
    account = HostingAccount.objects.select_for_update().select_related("plan").get(pk=account.pk)
    _check_actor(account, actor)
    try:
        ascii_name = names.zone_name(name)
    except names.InvalidName as exc:
        raise NameRefused(str(exc)) from None
    chosen = _template(template)
    _check_free(account, ascii_name)
    if zones_used(account) >= account.plan.max_dns_zones:
        raise QuotaExceeded(
            f"Your plan allows {account.plan.max_dns_zones} DNS zones and you have used them all."
        )
    server = _pick_server()
    clean, issues = validate(ascii_name, _initial_inputs(server, chosen))
    if issues:
        raise RecordsRefused(issues)
    try:
        with transaction.atomic():
            zone = Zone.objects.create(
                account=account,
                server=server,
                name=ascii_name,
                display_name=names.unicode_name(ascii_name),
            )
    except IntegrityError:
        raise NameRefused(f"{names.unicode_name(ascii_name)} is already hosted here.") from None
    Record.objects.bulk_create(Record(zone=zone, **_fields(r)) for r in clean)
    revision = new_revision(zone, [r.as_tuple() for r in clean], "zone created", actor)
    _job("dns_zone.create", zone, actor, revision)
    audit.record(actor, "dns.zone_created", target=zone, template=template or "empty")
    return zone


def _fields(record: CleanRecord) -> dict:
    return {"name": record.name, "type": record.type, "ttl": record.ttl, "content": record.content}


def lock_zone(zone: Zone, *, allow_failed: bool = False) -> Zone:
    zone = Zone.objects.select_for_update().select_related("account", "server").get(pk=zone.pk)
    if zone.is_busy:
        raise BusyResource(f"{zone} is {zone.get_state_display().lower()}; wait for it to finish.")
    if zone.state == ResourceState.FAILED and not allow_failed:
        raise BusyResource(f"{zone} could not be created; delete it and add it again.")
    return zone


@transaction.atomic
def delete_zone(zone: Zone, *, actor) -> Zone:
    zone = lock_zone(zone, allow_failed=True)
    zone.state, zone.error_message = ResourceState.DELETING, ""
    zone.save(update_fields=["state", "error_message", "updated_at"])
    _job("dns_zone.delete", zone, actor)
    audit.record(actor, "dns.zone_deleted", target=zone)
    return zone


# --- the working copy (staged changes) ---------------------------------------------------


def _working(zone: Zone, *, exclude: int | None = None) -> list[CleanRecord]:
    rows = zone.records.exclude(pk=exclude) if exclude else zone.records.all()
    return [CleanRecord(r.name, r.type, r.ttl, r.content, index=-1) for r in rows]


def _check_one(zone: Zone, item: RecordInput, *, exclude: int | None = None) -> CleanRecord:
    """ITEM checked on its own and against the rest of the working copy."""
    others = _working(zone, exclude=exclude)
    clean, issues = validate(zone.name, [item])
    if not issues:
        issues = [i for i in set_issues(zone.name, [*others, *clean]) if i.index == 0]
    if not issues and len(others) + 1 > settings.DNS_MAX_RECORDS_PER_ZONE:
        limit = settings.DNS_MAX_RECORDS_PER_ZONE
        issues = [Issue(0, "", f"A zone may hold at most {limit} records here.")]
    if issues:
        raise RecordsRefused(issues)
    return clean[0]


@transaction.atomic
def add_record(zone: Zone, item: RecordInput, *, actor) -> Record:
    zone = lock_zone(zone)
    clean = _check_one(zone, item)
    return Record.objects.create(zone=zone, **_fields(clean))


@transaction.atomic
def edit_record(record: Record, item: RecordInput, *, actor) -> Record:
    zone = lock_zone(record.zone)
    clean = _check_one(zone, item, exclude=record.pk)
    Record.objects.filter(pk=record.pk).update(**_fields(clean))
    record.refresh_from_db()
    return record


@transaction.atomic
def delete_record(record: Record, *, actor) -> None:
    lock_zone(record.zone)
    record.delete()


def staged_changes(zone: Zone) -> dict[str, list[list]]:
    applied = zone.applied_revision()
    current = [r.as_tuple() for r in zone.records.all()]
    return rrsets.diff(map(tuple, applied.records) if applied else [], current)


@transaction.atomic
def discard_changes(zone: Zone, *, actor) -> None:
    zone = lock_zone(zone)
    applied = zone.applied_revision()
    replace_working(zone, [tuple(r) for r in applied.records] if applied else [])


def replace_working(zone: Zone, records: list[tuple]) -> None:
    zone.records.all().delete()
    Record.objects.bulk_create(
        Record(zone=zone, name=n, type=t, ttl=int(ttl), content=c) for n, t, ttl, c in records
    )


@transaction.atomic
def apply_changes(zone: Zone, *, actor, reason: str = "records edited") -> ZoneRevision:
    """Stage the working copy as a new revision; one job applies it in one PATCH."""
    zone = lock_zone(zone)
    working = _working(zone)
    issues = zone_issues(zone.name, working)
    if issues:
        raise RecordsRefused(issues)
    current = [r.as_tuple() for r in working]
    applied = zone.applied_revision()
    if applied is not None and applied.record_tuples() == set(current):
        raise NothingToApply("There are no changes to apply.")
    revision = new_revision(zone, current, reason, actor)
    zone.state, zone.error_message = ResourceState.UPDATING, ""
    zone.save(update_fields=["state", "error_message", "updated_at"])
    _job("dns_zone.change", zone, actor, revision)
    audit.record(
        actor,
        "dns.zone_changed",
        target=zone,
        revision=revision.number,
        added=len(revision.diff["added"]),
        removed=len(revision.diff["removed"]),
    )
    return revision


@transaction.atomic
def replace_records(zone: Zone, records: list[CleanRecord], *, actor, reason: str) -> ZoneRevision:
    """Make RECORDS the zone's whole record set and apply it (import, revert)."""
    zone = lock_zone(zone)
    replace_working(zone, [r.as_tuple() for r in records])
    return apply_changes(zone, actor=actor, reason=reason)


def revert_to(zone: Zone, revision: ZoneRevision, *, actor) -> ZoneRevision:
    records = [CleanRecord(n, t, int(ttl), c) for n, t, ttl, c in revision.records]
    return replace_records(zone, records, actor=actor, reason=f"revert to #{revision.number}")


@transaction.atomic
def set_dnssec(zone: Zone, enable: bool, *, actor) -> Zone:
    """Sign the zone (keys made in PowerDNS) or stop signing it; one job either way."""
    zone = lock_zone(zone)
    if zone.dnssec == enable:
        raise NothingToApply(f"DNSSEC is already {'on' if enable else 'off'} for {zone}.")
    zone.state, zone.error_message = ResourceState.UPDATING, ""
    zone.save(update_fields=["state", "error_message", "updated_at"])
    _job("dns_zone.dnssec_on" if enable else "dns_zone.dnssec_off", zone, actor)
    audit.record(actor, "dns.dnssec_enabled" if enable else "dns.dnssec_disabled", target=zone)
    return zone
