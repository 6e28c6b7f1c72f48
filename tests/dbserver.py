"""The stack's managed database server (PROVISIONING_PG_URL) as the tests reach it."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import psycopg
from django.conf import settings
from psycopg import sql


def superuser(dbname: str = "postgres") -> psycopg.Connection:
    url = urlsplit(settings.PROVISIONING_PG_URL)
    return psycopg.connect(
        host=url.hostname,
        port=url.port,
        user=unquote(url.username),
        password=unquote(url.password or ""),
        dbname=dbname,
        autocommit=True,
        connect_timeout=5,
    )


def drop(databases: list[str], roles: list[str]) -> None:
    """Remove what a test created there (it is shared with `make run`)."""
    with superuser() as conn:
        for name in databases:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        for name in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
