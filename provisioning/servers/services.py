"""Managed servers: add, edit, test, retire."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from provisioning.engine.backends import BACKENDS, BackendError, get_backend
from provisioning.engine.choices import ResourceState
from provisioning.exceptions import ProvisioningError
from provisioning.servers.choices import ServerRole, ServerStatus
from provisioning.servers.models import Server
from provisioning.servers.signals import server_retired, server_roles_added
from security import audit


@transaction.atomic
def save_server(
    server: Server,
    *,
    database: dict | None,
    password: str | None,
    actor,
    connections: dict[str, tuple[dict, dict | None]] | None = None,
) -> Server:
    """Create or update SERVER with its database connection settings.

    PASSWORD None (or empty) keeps the stored one. CONNECTIONS gives other roles'
    settings and secrets ({role: (settings, secrets or None to keep them)}).
    """
    created = server.pk is None
    before = set() if created else set(Server.objects.get(pk=server.pk).roles)
    if database is not None:
        server.set_role_connection(
            ServerRole.DATABASE, database, {"password": password} if password else None
        )
    for role, (config, secrets) in (connections or {}).items():
        server.set_role_connection(role, config, secrets)
    server.save()
    action = "server.created" if created else "server.updated"
    audit.record(actor, action, target=server, roles=server.roles, address=server.address)
    added = [role for role in server.roles if role not in before]
    if added:
        server_roles_added.send(sender=Server, server=server, roles=added, actor=actor)
    return server


@transaction.atomic
def retire_server(server: Server, *, actor) -> Server:
    """Stop placing new resources on SERVER (existing ones stay where they are)."""
    server = Server.objects.select_for_update().get(pk=server.pk)
    if server.status == ServerStatus.RETIRED:
        raise ProvisioningError(f"{server.name} is already retired.")
    server.status = ServerStatus.RETIRED
    server.save(update_fields=["status", "updated_at"])
    live = server.databases.exclude(state=ResourceState.FAILED).count()
    audit.record(actor, "server.retired", target=server, databases_left=live)
    server_retired.send(sender=Server, server=server, actor=actor)
    return server


def test_server(server: Server, *, actor) -> tuple[bool, str]:
    """Run a real check against each role's backend; store and return the outcome."""
    results, ok = [], True
    for role in server.roles:
        if role not in BACKENDS:
            results.append(f"{role}: not checked (no backend for this role yet)")
            continue
        try:
            results.append(f"{role}: {get_backend(server, role).check()}")
        except BackendError as exc:
            ok = False
            results.append(f"{role}: {exc.message} ({exc.detail})")
    message = "; ".join(results) or "This server has no roles to check."
    with transaction.atomic():
        Server.objects.filter(pk=server.pk).update(
            last_check_at=timezone.now(), last_check_ok=ok, last_check_message=message[:500]
        )
        audit.record(actor, "server.tested", target=server, ok=ok)
    return ok, message
