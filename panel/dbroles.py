"""Two database roles: migrations run as the owner, everything else as the runtime role.

`DATABASE_URL` is the runtime role the web server, workers and tests connect as;
`DATABASE_OWNER_URL` (falling back to `DATABASE_URL`) is the role that owns the tables and
runs `migrate` (and `flush`). After every migrate, `grant_runtime_privileges` gives the
runtime role what the panel needs on every table and sequence, makes tables created later
by the owner (migrations, monitoring's partitions) follow by default privileges, and
withholds UPDATE/DELETE/TRUNCATE on the append-only tables (DATABASE_APPEND_ONLY_TABLES).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql

CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


def owner_credentials() -> dict[str, str] | None:
    """USER/PASSWORD/HOST/PORT of DATABASE_OWNER_URL, or None when there is no owner role."""
    owner = settings.DATABASE_OWNER
    if not owner or owner["USER"] == settings.DATABASES["default"]["USER"]:
        return None
    return {key: owner[key] for key in CREDENTIALS}


def runtime_role(alias: str = "default") -> str:
    return settings.DATABASES[alias]["USER"]


@contextmanager
def as_owner(alias: str = "default") -> Iterator[BaseDatabaseWrapper]:
    """In this thread, make connections[ALIAS] a connection as the owner role.

    Other threads (a test's Celery worker, say) keep their runtime connections.
    """
    credentials = owner_credentials()
    original = connections[alias]
    if credentials is None:
        yield original
        return
    owner = original.copy()
    owner.settings_dict.update(credentials)
    connections[alias] = owner
    try:
        yield owner
    finally:
        owner.close()
        connections[alias] = original


def grant_runtime_privileges(connection: BaseDatabaseWrapper, runtime: str) -> None:
    """As the owner: give RUNTIME the panel's privileges in CONNECTION's database."""
    role = sql.Identifier(runtime)
    owner = sql.Identifier(connection.settings_dict["USER"])
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {role}"),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}"
        ),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            "GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}"
        ),
        sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON django_migrations FROM {role}"),
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement.format(owner=owner, role=role))
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind IN ('r', 'p')",
            [list(settings.DATABASE_APPEND_ONLY_TABLES)],
        )
        for (table,) in cursor.fetchall():
            cursor.execute(
                sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                    sql.Identifier(table), role
                )
            )
