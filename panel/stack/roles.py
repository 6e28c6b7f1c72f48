"""The panel database's two roles: an owner that migrates, a runtime role the panel runs as.

The owner owns the database, its schema and every table (migrations run as it). The runtime
role (web, worker, beat, the test suite) is an ordinary login: not a superuser, owns nothing,
cannot create roles or databases. What it may do on each table is granted by `migrate`
after every run (panel/dbroles.py), which also withholds UPDATE/DELETE/TRUNCATE on the
append-only audit table.
"""

from __future__ import annotations

import re
import secrets

from panel.stack.postgres import PgCluster

OWNER = "hearth_owner"
RUNTIME = "hearth_app"
_PASSWORD = re.compile(r"[0-9a-f]{32}")


def new_password() -> str:
    return secrets.token_hex(16)


def _literal(password: str) -> str:
    """PASSWORD as an SQL literal; only our own hex passwords are accepted."""
    if not _PASSWORD.fullmatch(password):
        raise ValueError("unexpected password format")
    return f"'{password}'"


def ensure_roles(cluster: PgCluster, dbname: str, passwords: dict[str, str]) -> None:
    """Create or update both roles, give DBNAME and what is in it to the owner (idempotent)."""
    owner, runtime = _literal(passwords["owner"]), _literal(passwords["runtime"])
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", dbname):
        raise ValueError(f"unsupported database name {dbname!r}")
    cluster.psql(  # constants and checked values only
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER}') THEN
                CREATE ROLE {OWNER};
            END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{RUNTIME}') THEN
                CREATE ROLE {RUNTIME};
            END IF;
        END $$;
        ALTER ROLE {OWNER} LOGIN NOSUPERUSER NOCREATEROLE CREATEDB NOREPLICATION
            NOBYPASSRLS PASSWORD {owner};
        ALTER ROLE {RUNTIME} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION
            NOBYPASSRLS NOINHERIT PASSWORD {runtime};
        ALTER DATABASE {dbname} OWNER TO {OWNER};
        REVOKE ALL ON DATABASE {dbname} FROM PUBLIC;
        GRANT CONNECT, TEMPORARY ON DATABASE {dbname} TO {RUNTIME};
        """  # noqa: S608
    )
    cluster.psql(_ADOPT_OBJECTS, dbname=dbname)


# A database migrated before the split has tables owned by the bootstrap superuser: hand
# them (and their functions) to the owner. Sequences follow their tables.
_ADOPT_OBJECTS = f"""
DO $$ DECLARE item record; BEGIN
    FOR item IN
        SELECT c.oid::regclass AS name FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
          AND c.relowner <> '{OWNER}'::regrole
    LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO {OWNER}', item.name);
    END LOOP;
    FOR item IN
        SELECT p.oid::regprocedure AS name FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.proowner <> '{OWNER}'::regrole
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO {OWNER}', item.name);
    END LOOP;
END $$;
"""  # noqa: S608 - constants only
