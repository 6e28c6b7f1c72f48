"""Read-only checks of databases against their servers: sizes, and the drift rule."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.utils import timezone

from accounts.models import HostingAccount
from provisioning.databases.models import Database, DatabaseRole
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


STRAY_DATABASE, STRAY_ROLE = "database_stray", "role_stray"


def _account_of(name: str, accounts: dict[str, HostingAccount]) -> HostingAccount | None:
    """The account whose prefix NAME carries (the longest matching prefix), or None."""
    prefix = name
    while "_" in prefix:
        prefix = prefix.rpartition("_")[0]
        if prefix in accounts:
            return accounts[prefix]
    return None


def _stray_findings(server: Server, accounts: dict[str, HostingAccount]) -> list[Finding]:
    """Databases and roles named with an account's prefix that the panel does not know."""
    try:
        backend = get_backend(server, ServerRole.DATABASE)
        databases, roles = backend.list_databases(), backend.list_roles()
    except BackendError:
        return []  # reported as "Could not check" on the server's known databases
    known = set(Database.objects.values_list("name", flat=True))
    known |= set(DatabaseRole.objects.values_list("name", flat=True))
    findings = []
    for names, kind in ((databases, STRAY_DATABASE), (roles, STRAY_ROLE)):
        for name in sorted(set(names) - known):
            account = _account_of(name, accounts)
            if account is not None:
                what = "database" if kind == STRAY_DATABASE else "role"
                problem = (
                    f"A {what} with the prefix of {account.name} that the panel does not know."
                )
                findings.append(Finding(server, None, name, problem, account=account, kind=kind))
    return findings


def check_databases() -> tuple[int, list[Finding]]:
    """The databases' drift rule: every active database exists with its expected owner, and
    no database or role with an account's prefix exists that the panel does not know."""
    checked, findings = 0, []
    for server, databases in _active_databases_by_server().items():
        checked += len(databases)
        findings.extend(_database_findings(server, databases))
    accounts = {account.prefix: account for account in HostingAccount.objects.all()}
    for server in Server.objects.active().with_role(ServerRole.DATABASE):
        findings.extend(_stray_findings(server, accounts))
    return checked, findings


DRIFT_RULE = DriftRule(kind="database", check=check_databases)
