"""The database kind, declared in one place: its backend, job kinds (steps) and drift rule."""

from __future__ import annotations

from django.utils import timezone

from provisioning.databases.checks import DRIFT_RULE, STRAY_DATABASE
from provisioning.databases.models import Database, DatabaseRole
from provisioning.engine.backends import BackendError, register_backend
from provisioning.engine.choices import ResourceState
from provisioning.engine.drift import register_drift_rule
from provisioning.engine.registry import JobKind, Step, StepContext, register

# --- steps -------------------------------------------------------------------------------


def _owner(ctx: StepContext) -> DatabaseRole:
    return ctx.resource.roles.get(is_owner=True)


def create_owner_role(ctx: StepContext) -> None:
    role = _owner(ctx)
    created = ctx.backend.ensure_role(role.name, role.password_verifier)
    ctx.log(f"role {role.name} {'created' if created else 'already there'}")


def owner_role_exists(ctx: StepContext) -> bool:
    return ctx.backend.inspect_role(ctx.resource.owner_role) is not None


def drop_owner_role(ctx: StepContext) -> None:
    name = ctx.resource.owner_role
    ctx.log(f"role {name}: {ctx.backend.remove_role(name)}")


def create_database(ctx: StepContext) -> None:
    db = ctx.resource
    created = ctx.backend.ensure_database(
        db.name, db.owner_role, connection_limit=db.connection_limit
    )
    ctx.log(f"database {db.name} {'created' if created else 'already there'}; PUBLIC revoked")


def database_exists(ctx: StepContext) -> bool:
    info = ctx.backend.inspect_database(ctx.resource.name)
    return info is not None and info.owner == ctx.resource.owner_role


def drop_database(ctx: StepContext) -> None:
    db = ctx.resource
    ctx.log(f"database {db.name}: {ctx.backend.remove_database(db.name, owner=db.owner_role)}")


def measure_size(ctx: StepContext) -> None:
    db = ctx.resource
    size = ctx.backend.database_sizes([db.name]).get(db.name, 0)
    Database.objects.filter(pk=db.pk).update(size_bytes=size, size_checked_at=timezone.now())
    ctx.log(f"size {size} bytes")


def drop_all_roles(ctx: StepContext) -> None:
    for role in ctx.resource.roles.order_by("is_owner", "name"):
        ctx.log(f"role {role.name}: {ctx.backend.remove_role(role.name)}")


def create_extra_role(ctx: StepContext) -> None:
    role = ctx.resource
    created = ctx.backend.ensure_role(role.name, role.password_verifier)
    ctx.log(f"role {role.name} {'created' if created else 'already there'}")


def extra_role_exists(ctx: StepContext) -> bool:
    return ctx.backend.inspect_role(ctx.resource.name) is not None


def drop_extra_role(ctx: StepContext) -> None:
    role = ctx.resource
    db = role.database
    outcome = ctx.backend.remove_role(role.name, database=db.name, reassign_to=db.owner_role)
    ctx.log(f"role {role.name}: {outcome}")


def grant_privileges(ctx: StepContext) -> None:
    role = ctx.resource
    peers = dict(
        role.database.roles.filter(is_owner=False)
        .exclude(pk=role.pk)
        .values_list("name", "privilege")
    )
    ctx.backend.ensure_privileges(role.database.name, role.name, role.privilege, peers)
    ctx.log(f"{role.get_privilege_display().lower()} on {role.database.name}")


def set_password(ctx: StepContext) -> None:
    role = ctx.resource
    ctx.backend.ensure_role(role.name, role.password_verifier)
    ctx.log(f"password of {role.name} set")


def drop_stray(ctx: StepContext) -> None:
    """Drop the stray a drift finding names, unless the panel has come to know it since."""
    finding = ctx.resource
    name = finding.resource_label
    in_panel = Database.objects.filter(name=name).exists()
    if in_panel or DatabaseRole.objects.filter(name=name).exists():
        raise BackendError(f"{name} is known to the panel now; it was not dropped.")
    if finding.kind == STRAY_DATABASE:
        ctx.log(f"database {name}: {ctx.backend.drop_stray_database(name)}")
    else:
        ctx.log(f"role {name}: {ctx.backend.drop_stray_role(name)}")


def adopt_database(ctx: StepContext) -> None:
    ctx.backend.adopt_database(ctx.resource.name)
    ctx.log(f"database {ctx.resource.name} and its owner role are now managed")


def owner_is_managed(ctx: StepContext) -> bool:
    info = ctx.backend.inspect_role(ctx.resource.owner_role)
    return info is not None and info.managed


# --- resource outcomes -------------------------------------------------------------------


def _update(resource, **fields) -> None:
    if resource is not None:
        type(resource).objects.filter(pk=resource.pk).update(**fields)


def database_ready(job, db) -> None:
    _update(db, state=ResourceState.ACTIVE, error_message="")
    DatabaseRole.objects.filter(database=db, is_owner=True).update(state=ResourceState.ACTIVE)


def database_failed(job, db) -> None:
    _update(db, state=ResourceState.FAILED, error_message=job.customer_message)
    DatabaseRole.objects.filter(database=db, is_owner=True).update(state=ResourceState.FAILED)


def database_gone(job, db) -> None:
    if db is not None:
        db.delete()


def role_ready(job, role) -> None:
    _update(role, state=ResourceState.ACTIVE, error_message="")


def role_failed(job, role) -> None:
    _update(role, state=ResourceState.FAILED, error_message=job.customer_message)


def password_failed(job, role) -> None:
    message = f"The new password could not be set: {job.customer_message}"
    _update(role, state=ResourceState.ACTIVE, error_message=message[:500])


def stray_dropped(job, finding) -> None:
    _update(finding, resolution="Dropped.")


def stray_not_dropped(job, finding) -> None:
    _update(finding, resolution=f"Not dropped: {job.customer_message}"[:500])


def role_gone(job, role) -> None:
    if role is not None:
        role.delete()


# --- kinds -------------------------------------------------------------------------------

register_backend("database", "provisioning.databases.backend.PostgresBackend")
register_drift_rule(DRIFT_RULE)


def _database_kind(name, steps, running_state, on_done, on_failed) -> None:
    """A job kind whose steps run on the resource's database server unless they say otherwise."""
    register(JobKind(name, "database", steps, running_state, on_done, on_failed))


CREATE_DATABASE = [
    Step("create_role", create_owner_role, drop_owner_role, owner_role_exists),
    Step("create_database", create_database, drop_database, database_exists),
    Step("measure_size", measure_size),
]
DELETE_DATABASE = [Step("drop_database", drop_database), Step("drop_roles", drop_all_roles)]
ADOPT_DATABASE = [
    Step("adopt", adopt_database, None, owner_is_managed),
    Step("measure_size", measure_size),
]
CREATE_ROLE = [
    Step("create_role", create_extra_role, drop_extra_role, extra_role_exists),
    Step("grant_privileges", grant_privileges),
]
SET_PASSWORD = [Step("set_password", set_password)]
DELETE_ROLE = [Step("drop_role", drop_extra_role)]
DROP_STRAY = [Step("drop_stray", drop_stray)]

PENDING, UPDATING, DELETING = ResourceState.PENDING, ResourceState.UPDATING, ResourceState.DELETING
# name, steps, the resource's state while the job runs, what a success and a failure do to it
_database_kind("database.create", CREATE_DATABASE, PENDING, database_ready, database_failed)
_database_kind("database.delete", DELETE_DATABASE, DELETING, database_gone, database_failed)
_database_kind("database.adopt", ADOPT_DATABASE, PENDING, database_ready, database_failed)
_database_kind("database_role.create", CREATE_ROLE, PENDING, role_ready, role_failed)
_database_kind("database_role.password", SET_PASSWORD, UPDATING, role_ready, password_failed)
_database_kind("database_role.delete", DELETE_ROLE, DELETING, role_gone, role_failed)
_database_kind("database_stray.drop", DROP_STRAY, PENDING, stray_dropped, stray_not_dropped)
