"""Every change to customers' databases and roles: validated, audited, turned into a job."""

from __future__ import annotations

import math

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum

from accounts import usage
from accounts.models import HostingAccount
from provisioning.databases import names, scram
from provisioning.databases.choices import Privilege
from provisioning.databases.models import Database, DatabaseRole
from provisioning.engine.choices import ResourceState
from provisioning.engine.jobs import create_job
from provisioning.exceptions import (
    BusyResource,
    NameRefused,
    NoServerAvailable,
    NotVerified,
    QuotaExceeded,
)
from provisioning.servers.choices import ServerRole
from provisioning.servers.models import Server
from security import audit
from security.password_generator import generate_password

MB = 1024 * 1024


def databases_used(account) -> int:
    return Database.objects.filter(account=account).counting_quota().count()


def disk_used_mb(account) -> int:
    total = Database.objects.filter(account=account).aggregate(total=Sum("size_bytes"))["total"]
    return math.ceil((total or 0) / MB)


def connection_limit_for(plan) -> int:
    return settings.PROVISIONING_DB_CONNECTION_LIMITS.get(
        plan.name, settings.PROVISIONING_DB_CONNECTION_LIMIT
    )


def _check_actor(account: HostingAccount, actor) -> None:
    if actor is not None and not actor.is_admin and not actor.is_verified:
        raise NotVerified("Confirm your email address before creating databases or roles.")
    if not account.is_active:
        raise NotVerified("This hosting account is suspended.")


def _check_quota(account: HostingAccount) -> None:
    plan = account.plan
    if databases_used(account) >= plan.max_databases:
        raise QuotaExceeded(
            f"Your plan allows {plan.max_databases} databases and you have used them all."
        )
    if disk_used_mb(account) >= plan.disk_quota_mb:
        raise QuotaExceeded(f"Your plan's disk quota ({plan.disk_quota_mb} MB) is used up.")


def _pick_server() -> Server:
    server = (
        Server.objects.active()
        .with_role(ServerRole.DATABASE)
        .annotate(load=Count("databases", filter=~Q(databases__state=ResourceState.FAILED)))
        .order_by("load", "pk")
        .first()
    )
    if server is None:
        raise NoServerAvailable("No database server is available right now; try again later.")
    return server


def _full_name(account: HostingAccount, suffix: str) -> str:
    try:
        return names.prefixed(account.prefix, suffix)
    except names.InvalidName as exc:
        raise NameRefused(str(exc)) from None


def _name_free(name: str) -> None:
    taken = Database.objects.filter(name=name).exists()
    if taken or DatabaseRole.objects.filter(name=name).exists():
        raise NameRefused(f"The name {name} is already in use.")


@transaction.atomic
def create_database(
    account: HostingAccount, name: str, *, password: str | None = None, actor
) -> tuple[Database, str]:
    """Create database NAME (the prefix is added) and its owner role; returns (db, password)."""
    account = HostingAccount.objects.select_for_update().select_related("plan").get(pk=account.pk)
    _check_actor(account, actor)
    full_name = _full_name(account, name)
    _name_free(full_name)
    _check_quota(account)
    password = password or generate_password()
    try:
        with transaction.atomic():
            db = Database.objects.create(
                account=account,
                server=_pick_server(),
                name=full_name,
                owner_role=full_name,
                connection_limit=connection_limit_for(account.plan),
            )
            DatabaseRole.objects.create(
                database=db,
                name=full_name,
                is_owner=True,
                password_verifier=scram.verifier(password),
            )
    except IntegrityError:
        raise NameRefused(f"The name {full_name} is already in use.") from None
    _job("database.create", db, db, actor)
    audit.record(actor, "database.created", target=db, server=db.server.name)
    return db, password


def _job(kind: str, resource, db: Database, actor) -> None:
    """Queue a job of KIND on RESOURCE; jobs of one database never overlap (its scope)."""
    create_job(
        kind, resource, server=db.server, account=db.account, actor=actor, lock_scope=db.lock_scope
    )


def _require_active(db: Database) -> None:
    if db.state != ResourceState.ACTIVE:
        raise BusyResource(f"{db.name} is {db.get_state_display().lower()}; wait for it to finish.")


@transaction.atomic
def delete_database(db: Database, *, actor) -> Database:
    db = Database.objects.select_for_update().select_related("server").get(pk=db.pk)
    if db.state == ResourceState.DELETING:
        raise BusyResource(f"{db.name} is already being deleted.")
    if db.state in (ResourceState.PENDING, ResourceState.UPDATING):
        raise BusyResource(f"{db.name} is still being set up; wait for it to finish.")
    db.state, db.error_message = ResourceState.DELETING, ""
    db.save(update_fields=["state", "error_message", "updated_at"])
    _job("database.delete", db, db, actor)
    audit.record(actor, "database.deleted", target=db)
    return db


@transaction.atomic
def add_role(
    db: Database, name: str, *, privilege: str, password: str | None = None, actor
) -> tuple[DatabaseRole, str]:
    db = Database.objects.select_for_update().select_related("account", "server").get(pk=db.pk)
    _check_actor(db.account, actor)
    _require_active(db)
    if privilege not in Privilege.values:
        raise NameRefused("Choose all privileges or read-only.")
    full_name = _full_name(db.account, name)
    _name_free(full_name)
    password = password or generate_password()
    try:
        with transaction.atomic():
            role = DatabaseRole.objects.create(
                database=db,
                name=full_name,
                privilege=privilege,
                password_verifier=scram.verifier(password),
            )
    except IntegrityError:
        raise NameRefused(f"The name {full_name} is already in use.") from None
    _job("database_role.create", role, db, actor)
    audit.record(
        actor,
        "database.role_added",
        target=role,
        account=db.account,
        database=db.name,
        privilege=privilege,
    )
    return role, password


def _locked_role(role: DatabaseRole, *, states=(ResourceState.ACTIVE,)) -> DatabaseRole:
    role = (
        DatabaseRole.objects.select_for_update()
        .select_related("database__account", "database__server")
        .get(pk=role.pk)
    )
    _require_active(role.database)
    if role.state not in states:
        raise BusyResource(f"The role {role.name} is {role.get_state_display().lower()}.")
    return role


@transaction.atomic
def reset_role_password(
    role: DatabaseRole, *, password: str | None = None, actor
) -> tuple[DatabaseRole, str]:
    role = _locked_role(role)
    password = password or generate_password()
    role.password_verifier = scram.verifier(password)
    role.state, role.error_message = ResourceState.UPDATING, ""
    role.save(update_fields=["password_verifier", "state", "error_message"])
    db = role.database
    _job("database_role.password", role, db, actor)
    audit.record(actor, "database.role_password_reset", target=role, account=db.account)
    return role, password


@transaction.atomic
def remove_role(role: DatabaseRole, *, actor) -> DatabaseRole:
    """Drop an extra role; a failed one too (removal leaves alone what is not the panel's)."""
    role = _locked_role(role, states=(ResourceState.ACTIVE, ResourceState.FAILED))
    if role.is_owner:
        raise BusyResource("The owner role goes with its database; delete the database instead.")
    role.state = ResourceState.DELETING
    role.save(update_fields=["state"])
    db = role.database
    _job("database_role.delete", role, db, actor)
    audit.record(actor, "database.role_removed", target=role, account=db.account)
    return role


def register_usage_counters() -> None:
    usage.register_counter("databases", databases_used)
    usage.register_counter("disk_mb", disk_used_mb)
