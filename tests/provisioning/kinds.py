"""Job kinds used by tests only: a database whose owner role is made on two servers.

Imported by test modules and by the worker processes the tests start (worker_app.py),
so a worker knows the kind as the product's own kinds are known.
"""

from __future__ import annotations

from provisioning.databases import steps as db_steps
from provisioning.engine.choices import ResourceState
from provisioning.engine.registry import JobKind, Step, register
from provisioning.servers.models import Server

MIRRORED = "test.mirrored_database"


def on_second(job, resource) -> Server:
    return Server.objects.get(pk=job.params["second_server"])


def kind(name: str, steps: list[Step]) -> JobKind:
    return register(
        JobKind(
            name=name,
            role="database",
            steps=steps,
            running_state=ResourceState.PENDING,
            on_done=db_steps.database_ready,
            on_failed=db_steps.database_failed,
        )
    )


mirrored = kind(
    MIRRORED,
    [
        Step("role_on_first", db_steps.create_owner_role, db_steps.drop_owner_role),
        Step(
            "role_on_second",
            db_steps.create_owner_role,
            db_steps.drop_owner_role,
            server=on_second,
        ),
        Step(
            "database_on_second",
            db_steps.create_database,
            db_steps.drop_database,
            db_steps.database_exists,
            server=on_second,
        ),
    ],
)
