"""DNS servers: the PowerDNS primary (role `dns`) and BIND secondaries (role `dns-secondary`)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from provisioning.dns import rollout
from provisioning.dns.backend import split_address
from provisioning.dns.choices import SECONDARY_ROLE
from provisioning.servers.models import Server
from security import audit


@transaction.atomic
def register_dns_server(
    name: str, *, api_url: str, api_key: str, dns_address: str, nameservers=None, actor=None
) -> tuple[Server, bool]:
    """Create or update the PowerDNS primary NAME; the API key is stored encrypted."""
    server = Server.objects.select_for_update().filter(name=name).first() or Server(name=name)
    created = server.pk is None
    server.address = split_address(dns_address)[0]
    if "dns" not in server.roles:
        server.roles = [*server.roles, "dns"]
    config = {
        "api_url": api_url,
        "server_id": "localhost",
        "dns_address": dns_address,
        "nameservers": list(nameservers or settings.DNS_NAMESERVERS),
        "hostmaster": settings.DNS_HOSTMASTER,
    }
    server.set_role_connection("dns", config, {"api_key": api_key})
    server.save()
    audit.record(actor, "server.created" if created else "server.updated", target=server)
    return server, created


@transaction.atomic
def register_secondary(
    name: str,
    *,
    dns_address: str,
    rndc_address: str,
    rndc_secret: str,
    tsig_name: str,
    tsig_secret: str,
    actor=None,
) -> Server:
    """A BIND secondary answering on DNS_ADDRESS, managed with rndc at RNDC_ADDRESS, pulling
    zones from the primary with the TSIG key (both secrets stored encrypted). A server new
    to the role gets every hosted zone (a push job)."""
    server = Server.objects.select_for_update().filter(name=name).first() or Server(name=name)
    created = server.pk is None
    server.address = split_address(dns_address)[0]
    joins = SECONDARY_ROLE not in server.roles
    if joins:
        server.roles = [*server.roles, SECONDARY_ROLE]
    config = {"dns_address": dns_address, "rndc_address": rndc_address, "tsig_name": tsig_name}
    secrets = {"tsig_secret": tsig_secret, "rndc_secret": rndc_secret}
    server.set_role_connection(SECONDARY_ROLE, config, secrets)
    server.save()
    audit.record(actor, "server.created" if created else "server.updated", target=server)
    if joins and server.is_active:
        rollout.push_zones(server, actor=actor)  # the zones hosted so far
    return server
