"""Read-only checks of databases against their servers: sizes, and the drift rule."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.utils import timezone

from provisioning.databases.models import Database
from provisioning.engine.backends import BackendError, get_backend
from provisioning.engine.choices import ResourceState
from provisioning.engine.drift import DriftRule, Finding
from provisioning.servers.choices import ServerRole
from provisioning.servers.models import Server

logger = logging.getLogger(__name__)


def _active_databases_by_server() -> dict[Server, list[Database]]:
    grouped: dict[Server, list[Database]] = defaultdict(list)
    queryset = Database.objects.filter(state=ResourceState.ACTIVE).select_related("server")
    for db in queryset.order_by("server_id", "name"):
        grouped[db.server].append(db)
    return grouped


def refresh_database_sizes() -> int:
    """Ask each server for pg_database_size of its active databases; returns rows updated."""
    updated = 0
    now = timezone.now()
    for server, databases in _active_databases_by_server().items():
        try:
            sizes = get_backend(server, ServerRole.DATABASE).database_sizes(
                [db.name for db in databases]
            )
        except BackendError as exc:
            logger.warning("sizes of %s not refreshed: %s", server.name, exc.detail)
            continue
        for db in databases:
            if db.name in sizes:
                updated += Database.objects.filter(pk=db.pk).update(
                    size_bytes=sizes[db.name], size_checked_at=now
                )
    return updated


def _database_findings(server: Server, databases: list[Database]) -> list[Finding]:
    try:
        present = get_backend(server, ServerRole.DATABASE).list_databases()
    except BackendError as exc:
        return [
            Finding(server, db.pk, db.name, f"Could not check: {exc.message}") for db in databases
        ]
    findings = []
    for db in databases:
        owner = present.get(db.name)
        if owner is None:
            findings.append(Finding(server, db.pk, db.name, "Missing on the server."))
        elif owner != db.owner_role:
            problem = f"Owned by {owner} on the server, expected {db.owner_role}."
            findings.append(Finding(server, db.pk, db.name, problem))
    return findings


def check_databases() -> tuple[int, list[Finding]]:
    """The databases' drift rule: every active database exists with its expected owner."""
    checked, findings = 0, []
    for server, databases in _active_databases_by_server().items():
        checked += len(databases)
        findings.extend(_database_findings(server, databases))
    return checked, findings


DRIFT_RULE = DriftRule(kind="database", check=check_databases)
