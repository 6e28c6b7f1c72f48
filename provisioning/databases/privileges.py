"""The privilege matrix of one customer database, as SQL statements.

Within a database every role with "all" can use every table and sequence that any
creator made, and every read-only role can SELECT every table any creator made. The
creators are the owner and the "all" roles (read-only roles cannot create anything in the
public schema). Existing objects are covered by GRANT … ON ALL … IN SCHEMA public, future
ones by one ALTER DEFAULT PRIVILEGES FOR ROLE <creator> entry per (creator, grantee) pair.

Pairwise entries rather than a shared group role: no extra role name to reserve next to
the customer's own names, and each entry names only panel roles, so removing a role with
DROP OWNED BY in its database removes exactly the entries that mention it (as creator or
as grantee) and DROP ROLE is never blocked by pg_default_acl. Every statement is
idempotent, so the whole matrix can be applied again after a worker crash.
"""

from __future__ import annotations

from collections.abc import Callable

from psycopg import sql

ALL = "all"
READONLY = "readonly"


def matrix_statements(
    database: str, owner: str, extras: dict[str, str], ident: Callable[[str], sql.Identifier]
) -> list[sql.Composed]:
    """Every GRANT / ALTER DEFAULT PRIVILEGES for OWNER and EXTRAS (name -> privilege)."""
    creators = [owner] + sorted(name for name, privilege in extras.items() if privilege == ALL)
    statements: list[sql.Composed] = []
    # The owner uses everything the "all" roles make (it owns its own objects already).
    statements += _grantee_statements(owner, ALL, creators, ident)
    for name in sorted(extras):
        statements += _access_statements(database, name, extras[name], ident)
        statements += _grantee_statements(name, extras[name], creators, ident)
    return statements


def _access_statements(
    database: str, name: str, privilege: str, ident: Callable[[str], sql.Identifier]
) -> list[sql.Composed]:
    db, role = ident(database), ident(name)
    statements = [
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(db, role),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role),
    ]
    if privilege == ALL:
        statements.append(sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(role))
    return statements


def _grantee_statements(
    name: str, privilege: str, creators: list[str], ident: Callable[[str], sql.Identifier]
) -> list[sql.Composed]:
    """Existing and future tables (and, for "all", sequences) of every creator, to NAME."""
    role = ident(name)
    if privilege == ALL:
        grants = [("ALL", "TABLES"), ("ALL", "SEQUENCES")]
    else:
        grants = [("SELECT", "TABLES")]
    statements = []
    for what, kind in grants:
        statements.append(
            sql.SQL(f"GRANT {what} ON ALL {kind} IN SCHEMA public TO {{}}").format(role)
        )
        for creator in creators:
            if creator == name:
                continue
            statements.append(
                sql.SQL(
                    f"ALTER DEFAULT PRIVILEGES FOR ROLE {{}} IN SCHEMA public "
                    f"GRANT {what} ON {kind} TO {{}}"
                ).format(ident(creator), role)
            )
    return statements
