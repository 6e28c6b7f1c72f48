"""Mail domains: add (one saga on the mail and DNS servers), DKIM rotation, delete."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import HostingAccount
from provisioning.dns import services as dns_services
from provisioning.dns.models import Record, Zone
from provisioning.engine.choices import ResourceState
from provisioning.engine.jobs import create_job
from provisioning.exceptions import BusyResource, QuotaExceeded
from provisioning.mail import dkim, names, records
from provisioning.mail.choices import DmarcPolicy, DnsMode
from provisioning.mail.common import (
    MailRefused,
    check_actor,
    check_idle,
    lock_account,
    name_or_refuse,
    pick_server,
)
from provisioning.mail.models import MailDomain
from provisioning.mail.quota import mail_domains_used
from security import audit


def new_selector() -> str:
    """Dated, with a random tail: two keys made the same second still differ."""
    return f"hearth{timezone.now():%Y%m%d}-{secrets.token_hex(3)}"


def hosted_zone(name: str) -> Zone | None:
    """The Hearth zone NAME is in (its apex or below), the closest one."""
    labels = name.split(".")
    candidates = [".".join(labels[i:]) + "." for i in range(len(labels) - 1)]
    zones = {z.name: z for z in Zone.objects.filter(name__in=candidates).select_related("server")}
    return next((zones[c] for c in candidates if c in zones), None)


def _check_free(account: HostingAccount, name: str) -> Zone | None:
    shown = names.dns_names.unicode_name(name + ".")
    existing = MailDomain.objects.filter(name=name).values_list("account_id", flat=True).first()
    if existing is not None:
        if existing == account.pk:
            raise MailRefused(f"You already have {shown} as a mail domain.", field="name")
        raise MailRefused(f"{shown} is already used by another account.", field="name")
    zone = hosted_zone(name)
    if zone is not None and zone.account_id != account.pk:
        raise MailRefused(f"{shown} belongs to another account on this panel.", field="name")
    return zone


def _zone_revision(domain: MailDomain, mine_inputs, actor, *, remove: list | None = None):
    """Stage a zone revision: the applied records with MINE merged (and REMOVE taken out)."""
    zone = dns_services.lock_zone(domain.zone)
    mine, issues = records.canonical(zone.name, mine_inputs)
    if issues:
        raise MailRefused(f"The mail records cannot go into {zone}: {issues[0]}")
    applied = zone.applied_revision()
    current = [tuple(r) for r in applied.records] if applied else []
    target = records.merged(records.without(current, remove or []), mine)
    issues = records.zone_issues(zone.name, target)
    if issues:
        raise MailRefused(f"The mail records cannot go into {zone}: {issues[0]}")
    _stage_working(zone, current, target)
    revision = dns_services.new_revision(zone, target, f"mail records for {domain.name}", actor)
    zone.state, zone.error_message = ResourceState.UPDATING, ""
    zone.save(update_fields=["state", "error_message", "updated_at"])
    return revision


def _stage_working(zone: Zone, before: list, after: list) -> None:
    """The zone's working copy follows the change (other staged edits stay as they are)."""
    removed = set(before) - set(after)
    for name, rtype, _ttl, content in removed:
        zone.records.filter(name=name, type=rtype, content=content).delete()
    have = {r.as_tuple() for r in zone.records.all()}
    Record.objects.bulk_create(
        Record(zone=zone, name=n, type=t, ttl=ttl, content=c)
        for n, t, ttl, c in sorted(set(after) - set(before) - have)
    )


def _job(kind: str, domain: MailDomain, actor, **params) -> None:
    create_job(
        kind,
        domain,
        server=domain.server,
        account=domain.account,
        actor=actor,
        lock_scope=domain.lock_scope,
        params=params,
    )


@transaction.atomic
def create_domain(
    account: HostingAccount, name: str, *, dmarc_policy: str = DmarcPolicy.QUARANTINE, actor
) -> MailDomain:
    account = lock_account(account)
    check_actor(account, actor)
    ascii_name = name_or_refuse(names.domain_name, name, "name")
    if dmarc_policy not in DmarcPolicy.values:
        raise MailRefused("Choose one of the offered DMARC policies.", field="dmarc_policy")
    zone = _check_free(account, ascii_name)
    if mail_domains_used(account) >= account.plan.max_mail_domains:
        raise QuotaExceeded(
            f"Your plan allows {account.plan.max_mail_domains} mail domains "
            "and you have used them all."
        )
    private_pem, txt = dkim.generate_key()
    try:
        with transaction.atomic():
            domain = MailDomain.objects.create(
                account=account,
                server=pick_server(),
                zone=zone,
                name=ascii_name,
                display_name=names.dns_names.unicode_name(ascii_name + "."),
                dns_mode=DnsMode.HOSTED if zone else DnsMode.EXTERNAL,
                dmarc_policy=dmarc_policy,
                dkim_selector=new_selector(),
                dkim_txt=txt,
            )
    except IntegrityError:
        raise MailRefused(f"{ascii_name} is already a mail domain here.", field="name") from None
    params = {"selector": domain.dkim_selector, "dkim_private": private_pem}
    if zone is not None:
        revision = _zone_revision(domain, records.wanted(domain), actor)
        _job("mail_domain.create", domain, actor, revision=revision.pk, **params)
    else:
        _job("mail_domain.create_external", domain, actor, **params)
    audit.record(actor, "mail.domain_created", target=domain, dns=domain.dns_mode)
    return domain


def lock_domain(domain: MailDomain) -> MailDomain:
    domain = (
        MailDomain.objects.select_for_update(of=("self",))
        .select_related("zone", "server")
        .get(pk=domain.pk)
    )
    check_idle(domain, str(domain))
    return domain


@transaction.atomic
def delete_domain(domain: MailDomain, *, actor) -> MailDomain:
    domain = (
        MailDomain.objects.select_for_update(of=("self",))
        .select_related("zone", "server")
        .get(pk=domain.pk)
    )
    if domain.is_busy:
        raise BusyResource(f"{domain} is {domain.get_state_display().lower()}; wait for it.")
    if domain.mailboxes.exists() or domain.aliases.exists():
        raise MailRefused(f"Delete the mailboxes and aliases of {domain} first.")
    failed = domain.state == ResourceState.FAILED
    domain.state, domain.error_message = ResourceState.DELETING, ""
    domain.save(update_fields=["state", "error_message", "updated_at"])
    params: dict = {"selectors": [s for s in (domain.dkim_selector, domain.dkim_old_selector) if s]}
    if domain.zone_id and not failed:
        mine = [
            *records.wanted(domain),
            *(_old_dkim_inputs(domain) if domain.dkim_old_selector else []),
        ]
        revision = _zone_revision(domain, [], actor, remove=_canonical(domain, mine))
        _job("mail_domain.delete", domain, actor, revision=revision.pk, **params)
    else:
        _job("mail_domain.delete_external", domain, actor, **params)
    audit.record(actor, "mail.domain_deleted", target=domain)
    return domain


def _canonical(domain: MailDomain, inputs) -> list:
    mine, _ = records.canonical(domain.zone.name, inputs)
    return mine


def _old_dkim_inputs(domain: MailDomain):
    name = records.dkim_name(domain.name, domain.dkim_old_selector)
    return [records.RecordInput(name, "TXT", records.TTL, domain.dkim_old_txt)]


@transaction.atomic
def rotate_dkim(domain: MailDomain, *, actor) -> MailDomain:
    """A new key under a new selector; the old one stays published until it is retired."""
    domain = lock_domain(domain)
    if domain.zone_id is None:
        raise MailRefused(
            "Key rotation is done by the panel only for zones hosted here; "
            "for a zone elsewhere, delete and re-add the domain after publishing its new key."
        )
    if domain.dkim_old_selector:
        raise MailRefused("The previous key is still being retired; rotate again after that.")
    private_pem, txt = dkim.generate_key()
    selector = new_selector()
    new = records.dkim_name(domain.name, selector)
    revision = _zone_revision(
        domain, [*records.wanted(domain), records.RecordInput(new, "TXT", records.TTL, txt)], actor
    )
    domain.state = ResourceState.UPDATING
    domain.save(update_fields=["state", "updated_at"])
    _job(
        "mail_domain.rotate_dkim",
        domain,
        actor,
        revision=revision.pk,
        selector=selector,
        txt=txt,
        dkim_private=private_pem,
    )
    audit.record(actor, "mail.dkim_rotated", target=domain, selector=selector)
    return domain


@transaction.atomic
def retire_old_key(domain: MailDomain, *, actor=None) -> MailDomain:
    domain = lock_domain(domain)
    if not domain.dkim_old_selector:
        raise MailRefused("There is no previous key to retire.")
    remove = _canonical(domain, _old_dkim_inputs(domain))
    revision = _zone_revision(domain, [], actor, remove=remove)
    domain.state = ResourceState.UPDATING
    domain.save(update_fields=["state", "updated_at"])
    _job(
        "mail_domain.retire_dkim",
        domain,
        actor,
        revision=revision.pk,
        selector=domain.dkim_old_selector,
    )
    audit.record(actor, "mail.dkim_retired", target=domain, selector=domain.dkim_old_selector)
    return domain


def retire_due_keys() -> int:
    """Beat: retire every previous DKIM key whose delay has passed (busy domains wait)."""
    count = 0
    due = MailDomain.objects.filter(
        dkim_retire_at__lte=timezone.now(), state=ResourceState.ACTIVE
    ).exclude(dkim_old_selector="")
    for domain in due:
        try:
            retire_old_key(domain)
        except (MailRefused, BusyResource):
            continue
        count += 1
    return count


def retire_at():
    return timezone.now() + timedelta(hours=settings.MAIL_DKIM_RETIRE_HOURS)
