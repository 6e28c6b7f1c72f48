"""Aliases and forwarding (local or external destinations) and each domain's catch-all."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from provisioning.engine.choices import ResourceState
from provisioning.engine.jobs import create_job
from provisioning.mail import names
from provisioning.mail.common import MailRefused, check_actor, lock_account, name_or_refuse
from provisioning.mail.models import Alias, Mailbox, MailDomain
from security import audit


def _job(kind: str, alias: Alias, actor) -> None:
    create_job(
        kind,
        alias,
        server=alias.domain.server,
        account=alias.domain.account,
        actor=actor,
        lock_scope=alias.lock_scope,
    )


def _forwards() -> dict[str, list[str]]:
    """Every alias the panel knows: address -> destinations (all accounts: loops cross them)."""
    return dict(
        Alias.objects.exclude(state=ResourceState.FAILED).values_list("address", "destinations")
    )


def _resolves_to(start: str, forwards: dict[str, list[str]], mailboxes: set[str]) -> set[str]:
    """Every address mail for START reaches, following aliases and catch-alls."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        address = todo.pop()
        if address in seen:
            continue
        seen.add(address)
        if address in forwards:
            todo.extend(forwards[address])
            continue
        catch_all = "@" + address.rpartition("@")[2]
        if address not in mailboxes and catch_all in forwards:
            todo.append(catch_all)
    return seen


def check_loops(address: str, destinations: list[str]) -> None:
    """Refuse a → a, a → b → a (through any aliases) and a catch-all that feeds itself."""
    domain = address.rpartition("@")[2]
    if address in destinations:
        raise MailRefused("An alias cannot forward to itself.", field="destinations")
    forwards = _forwards()
    forwards[address] = destinations
    mailboxes = set(
        Mailbox.objects.filter(address__in=_all_targets(forwards)).values_list("address", flat=True)
    )
    for destination in destinations:
        if destination.startswith("@"):
            raise MailRefused("Forward to addresses, not to a catch-all.", field="destinations")
        if not address.startswith("@"):
            if address in _resolves_to(destination, forwards, mailboxes):
                raise MailRefused(
                    f"Forwarding to {destination} would send mail back to {address} (a loop).",
                    field="destinations",
                )
            continue
        # A catch-all: a destination in its own domain that is no mailbox comes back to it.
        if destination.endswith("@" + domain) and destination not in mailboxes:
            if destination not in forwards:
                raise MailRefused(
                    f"{destination} is not a mailbox: the catch-all would receive its own mail.",
                    field="destinations",
                )
        if address in _resolves_to(destination, forwards, mailboxes):
            raise MailRefused(
                f"Forwarding to {destination} would send mail back to the catch-all (a loop).",
                field="destinations",
            )


def _all_targets(forwards: dict[str, list[str]]) -> set[str]:
    return {d for targets in forwards.values() for d in targets}


@transaction.atomic
def create_alias(
    domain: MailDomain, local_part: str, destinations: str | list[str], *, actor
) -> Alias:
    """LOCAL_PART empty (or "*") makes the domain's catch-all."""
    account = lock_account(domain.account)
    check_actor(account, actor)
    domain = (
        MailDomain.objects.select_for_update().select_related("server", "account").get(pk=domain.pk)
    )
    if domain.state != ResourceState.ACTIVE:
        raise MailRefused(f"{domain} is not ready yet; wait until it is active.")
    local_part = local_part.strip()
    if local_part in ("", "*", "@"):
        local, address = "", f"@{domain.name}"
    else:
        local = name_or_refuse(names.local_part, local_part, "local_part")
        address = f"{local}@{domain.name}"
        if len(address.encode()) > names.MAX_ADDRESS:
            raise MailRefused(f"An address is at most {names.MAX_ADDRESS} bytes long.")
    targets = name_or_refuse(names.destinations, destinations, "destinations")
    if Mailbox.objects.filter(address=address).exists():
        raise MailRefused(
            f"{address} is a mailbox; an alias cannot take its place.", field="local_part"
        )
    if Alias.objects.filter(address=address).exists():
        what = "a catch-all" if not local else f"the alias {address}"
        raise MailRefused(f"{domain} already has {what}.", field="local_part")
    check_loops(address, targets)
    try:
        with transaction.atomic():
            alias = Alias.objects.create(
                domain=domain, local_part=local, address=address, destinations=targets
            )
    except IntegrityError:
        raise MailRefused(f"{address} already exists.", field="local_part") from None
    _job("alias.create", alias, actor)
    audit.record(actor, "mail.alias_created", target=alias, destinations=targets)
    return alias


@transaction.atomic
def delete_alias(alias: Alias, *, actor) -> Alias:
    alias = Alias.objects.select_for_update().select_related("domain__server").get(pk=alias.pk)
    if alias.is_busy:
        raise MailRefused(f"{alias} is {alias.get_state_display().lower()}; wait for it.")
    alias.state, alias.error_message = ResourceState.DELETING, ""
    alias.save(update_fields=["state", "error_message"])
    _job("alias.delete", alias, actor)
    audit.record(actor, "mail.alias_deleted", target=alias)
    return alias
