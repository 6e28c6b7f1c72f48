"""Read-only checks against the servers: database sizes and drift."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from provisioning.backends import BackendError, get_backend
from provisioning.choices import ResourceState, ServerRole
from provisioning.models import Database, DriftFinding, DriftReport, Server
from security import audit

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


def _database_findings(server: Server, databases: list[Database]) -> list[tuple[Database, str]]:
    try:
        present = get_backend(server, ServerRole.DATABASE).list_databases()
    except BackendError as exc:
        return [(db, f"Could not check: {exc.message}") for db in databases]
    findings = []
    for db in databases:
        owner = present.get(db.name)
        if owner is None:
            findings.append((db, "Missing on the server."))
        elif owner != db.owner_role:
            findings.append((db, f"Owned by {owner} on the server, expected {db.owner_role}."))
    return findings


def run_drift_check(*, actor=None) -> DriftReport:
    """Compare every active database with its server; record differences, change nothing."""
    report = DriftReport.objects.create(requested_by=actor)
    rows, checked = [], 0
    for server, databases in _active_databases_by_server().items():
        checked += len(databases)
        for db, problem in _database_findings(server, databases):
            rows.append(
                DriftFinding(
                    report=report,
                    server=server,
                    kind="database",
                    resource_id=db.pk,
                    resource_label=db.name,
                    problem=problem,
                )
            )
    with transaction.atomic():
        DriftFinding.objects.bulk_create(rows)
        report.checked, report.finished_at = checked, timezone.now()
        report.save(update_fields=["checked", "finished_at"])
        audit.record(actor, "drift.checked", target=report, checked=checked, findings=len(rows))
    return report
