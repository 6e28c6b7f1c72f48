"""What an admin can do about a database drift finding: drop a stray, or re-create a database
the server lost. Each is audited and carried out by a job (never inside the request)."""

from __future__ import annotations

from django.db import transaction

from provisioning.databases.checks import STRAY_DATABASE, STRAY_ROLE
from provisioning.databases.models import Database, DatabaseRole
from provisioning.engine.choices import ResourceState
from provisioning.engine.jobs import create_job
from provisioning.engine.models import DriftFinding, ProvisioningJob
from provisioning.exceptions import BusyResource
from security import audit

MISSING = "Missing on the server."


def can_drop(finding: DriftFinding) -> bool:
    return finding.kind in (STRAY_DATABASE, STRAY_ROLE) and not finding.resolution


def can_adopt(finding: DriftFinding) -> bool:
    return finding.kind == STRAY_DATABASE and bool(finding.account_id) and not finding.resolution


def can_recreate(finding: DriftFinding) -> bool:
    return finding.kind == "database" and finding.problem == MISSING and not finding.resolution


def _known(name: str) -> bool:
    return (
        Database.objects.filter(name=name).exists()
        or DatabaseRole.objects.filter(name=name).exists()
    )


@transaction.atomic
def drop_stray(finding: DriftFinding, *, actor) -> ProvisioningJob:
    """Drop the stray database or role FINDING names from its server (typed-confirmed)."""
    finding = (
        DriftFinding.objects.select_for_update(of=("self",))
        .select_related("server")
        .get(pk=finding.pk)
    )
    if not can_drop(finding) or finding.server is None:
        raise BusyResource("This finding is not a stray that can be dropped.")
    if _known(finding.resource_label):
        raise BusyResource(f"{finding.resource_label} is known to the panel now; not dropped.")
    finding.resolution = "Drop requested."
    finding.save(update_fields=["resolution"])
    job = create_job(
        "database_stray.drop",
        finding,
        server=finding.server,
        account=finding.account,
        actor=actor,
        lock_scope=f"stray:{finding.server_id}:{finding.resource_label}",
    )
    audit.record(
        actor,
        "drift.stray_dropped",
        target=finding,
        name=finding.resource_label,
        kind=finding.kind,
        server=finding.server.name,
    )
    return job


@transaction.atomic
def recreate_missing(finding: DriftFinding, *, actor) -> ProvisioningJob:
    """Create again on its server a database (and owner role) the panel believes exists."""
    finding = DriftFinding.objects.select_for_update().get(pk=finding.pk)
    db = Database.objects.select_for_update().filter(pk=finding.resource_id).first()
    if not can_recreate(finding) or db is None:
        raise BusyResource("This finding is not a missing database that can be re-created.")
    if db.state != ResourceState.ACTIVE or ProvisioningJob.objects.for_resource(db).unfinished():
        raise BusyResource(f"{db.name} is busy; wait for its job to finish.")
    db.state = ResourceState.PENDING
    db.save(update_fields=["state", "updated_at"])
    finding.resolution = "Re-create requested."
    finding.save(update_fields=["resolution"])
    job = create_job(
        "database.create",
        db,
        server=db.server,
        account=db.account,
        actor=actor,
        lock_scope=db.lock_scope,
    )
    audit.record(actor, "drift.database_recreated", target=db, server=db.server.name)
    return job


@transaction.atomic
def adopt_stray(finding: DriftFinding, *, actor) -> Database:
    """Take a stray database (owned by a role of its name) into the account its prefix names.

    Its password is not known to the panel: the customer sets a new one on the role.
    """
    finding = (
        DriftFinding.objects.select_for_update(of=("self",))
        .select_related("server", "account")
        .get(pk=finding.pk)
    )
    name = finding.resource_label
    if not can_adopt(finding) or finding.server is None:
        raise BusyResource("This finding is not a stray database that can be adopted.")
    if _known(name):
        raise BusyResource(f"{name} is known to the panel now; not adopted.")
    db = Database.objects.create(
        account=finding.account, server=finding.server, name=name, owner_role=name
    )
    DatabaseRole.objects.create(database=db, name=name, is_owner=True, password_verifier="")
    finding.resolution = f"Adopted into {finding.account.name}."
    finding.save(update_fields=["resolution"])
    create_job(
        "database.adopt",
        db,
        server=db.server,
        account=db.account,
        actor=actor,
        lock_scope=db.lock_scope,
    )
    audit.record(actor, "drift.stray_adopted", target=db, account=db.account, server=db.server.name)
    return db
