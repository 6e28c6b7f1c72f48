"""PostgreSQL backend: databases and login roles on a managed PostgreSQL server.

Every identifier goes through psycopg.sql.Identifier and every literal in DDL through
psycopg.sql.Literal. Roles the panel creates carry a comment marking them as managed, and
a database is ours only if its owner is such a role: removal refuses anything else, so
compensation can never drop what the panel did not create.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from django.conf import settings
from psycopg import sql

from provisioning.databases.names import InvalidName, check_identifier
from provisioning.databases.privileges import matrix_statements
from provisioning.engine.backends import Backend, BackendError

MARKER = "managed by hearth"
_AUTH_WORDS = ("password authentication failed", "no pg_hba.conf entry", "does not exist")
_TRANSIENT_STATES = {"57P01", "57P02", "57P03", "53300", "40001", "40P01", "55006"}


@dataclass(frozen=True)
class RoleInfo:
    name: str
    managed: bool
    can_login: bool


@dataclass(frozen=True)
class DatabaseInfo:
    name: str
    owner: str
    size_bytes: int


def _ident(name: str) -> sql.Identifier:
    try:
        return sql.Identifier(check_identifier(name))
    except InvalidName as exc:
        raise BackendError(f"Refused an invalid name: {exc}") from None


class PostgresBackend(Backend):
    role = "database"

    def __init__(self, server) -> None:
        super().__init__(server)
        options = server.settings_for("database")
        self.host = options.get("host") or server.address
        self.port = int(options.get("port") or 5432)
        self.user = options.get("user") or "postgres"
        self.dbname = options.get("dbname") or "postgres"
        self.sslmode = options.get("sslmode") or "prefer"
        self.password = server.credentials_for("database").get("password") or None
        self._reuse = False
        self._open: dict[str, psycopg.Connection] = {}

    # --- connections and errors -------------------------------------------------------

    def reuse_connections(self) -> None:
        """Keep connections open for reuse (one per database) until close(): a job attempt
        then opens one connection to the server, shared by every step and inspect."""
        self._reuse = True

    def close(self) -> None:
        for conn in self._open.values():
            conn.close()
        self._open.clear()

    @contextmanager
    def connect(self, dbname: str | None = None) -> Iterator[psycopg.Connection]:
        """An autocommit superuser connection (CREATE/DROP DATABASE need autocommit)."""
        dbname = dbname or self.dbname
        conn = self._open.get(dbname)
        if conn is None or conn.closed:
            conn = self._new_connection(dbname)
            if self._reuse:
                self._open[dbname] = conn
        try:
            with self._errors():
                yield conn
        except BackendError:
            self._discard(dbname, conn)  # it may be broken; the next use opens a new one
            raise
        finally:
            if not self._reuse:
                conn.close()

    def _new_connection(self, dbname: str) -> psycopg.Connection:
        try:
            return psycopg.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=dbname,
                sslmode=self.sslmode,
                connect_timeout=settings.PROVISIONING_CONNECT_TIMEOUT,
                autocommit=True,
                application_name="hearth-provisioning",
            )
        except psycopg.Error as exc:
            raise self._connect_error(exc) from None

    def _discard(self, dbname: str, conn: psycopg.Connection) -> None:
        if self._open.get(dbname) is conn:
            del self._open[dbname]
        conn.close()

    def _connect_error(self, exc: psycopg.Error) -> BackendError:
        text = str(exc).strip()
        where = f"{self.server.name} ({self.host}:{self.port})"
        if any(word in text for word in _AUTH_WORDS):
            return BackendError(
                f"The database server {self.server.name} refused the panel's login.",
                detail=f"{where}: {text}",
            )
        return BackendError(
            f"The database server {self.server.name} cannot be reached right now.",
            permanent=False,
            detail=f"{where}: {text}",
        )

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            state = getattr(exc, "sqlstate", None) or ""
            transient = state.startswith("08") or state in _TRANSIENT_STATES or not state
            raise BackendError(
                "The database server could not complete the operation.",
                permanent=not transient,
                detail=f"{self.server.name}: [{state or 'no sqlstate'}] {str(exc).strip()}",
            ) from None

    def check(self) -> str:
        with self.connect() as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            is_super = bool(superuser.fetchone()[0])
        if not is_super:
            raise BackendError(f"Connected, but {self.user} is not a superuser.")
        return f"PostgreSQL {version}, connected as {self.user}"

    # --- roles ---------------------------------------------------------------------------

    def inspect_role(self, name: str, conn: psycopg.Connection | None = None) -> RoleInfo | None:
        query = (
            "SELECT rolname, shobj_description(oid, 'pg_authid'), rolcanlogin "
            "FROM pg_roles WHERE rolname = %s"
        )
        if conn is None:
            with self.connect() as own:
                row = own.execute(query, [name]).fetchone()
        else:
            row = conn.execute(query, [name]).fetchone()
        return RoleInfo(row[0], row[1] == MARKER, row[2]) if row else None

    def _is_managed(self, name: str) -> bool:
        info = self.inspect_role(name)
        return info is not None and info.managed

    def ensure_role(self, name: str, password_verifier: str) -> bool:
        """Create the login role NAME (or reset its password); True if it was created."""
        role = _ident(name)
        with self.connect() as conn:
            info = self.inspect_role(name, conn)
            if info is not None and not info.managed:
                raise BackendError(f"A role named {name} already exists on the server.")
            password = sql.Literal(password_verifier)
            if info is None:
                # One round trip: statements sent together run as one transaction.
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}; COMMENT ON ROLE {} IS {}").format(
                        role, password, role, sql.Literal(MARKER)
                    )
                )
                return True
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(role, password))
            return False

    def remove_role(self, name: str, *, database: str | None = None, reassign_to: str = "") -> str:
        """Drop the managed role NAME (its objects in DATABASE go to REASSIGN_TO first).

        Returns "dropped", "absent", or "foreign" (exists but not the panel's: left alone).
        """
        info = self.inspect_role(name)
        if info is None:
            return "absent"
        if not info.managed:
            return "foreign"
        if database and self.inspect_database(database) is not None:
            with self.connect(database) as conn, conn.transaction():
                if reassign_to:
                    conn.execute(
                        sql.SQL("REASSIGN OWNED BY {} TO {}").format(
                            _ident(name), _ident(reassign_to)
                        )
                    )
                conn.execute(sql.SQL("DROP OWNED BY {}").format(_ident(name)))
        with self.connect() as conn:
            conn.execute(_terminate_and_drop_role(name))
        return "dropped"

    def ensure_privileges(
        self, database: str, name: str, privilege: str, peers: dict[str, str] | None = None
    ) -> None:
        """Give role NAME 'all' or 'readonly' access to DATABASE (its public schema).

        PEERS are the database's other extra roles (name -> privilege); those that exist
        on the server as managed roles are brought into the same matrix, so tables made by
        any creator (owner or an "all" role) reach every role (see pg_privileges).
        """
        owner = self._owner_of(database)
        extras = {name: privilege}
        with self.connect(database) as conn, conn.transaction():
            extras.update(self._managed_peers(conn, peers or {}, exclude={name, owner}))
            for statement in matrix_statements(database, owner, extras, _ident):
                conn.execute(statement)

    def _managed_peers(
        self, conn: psycopg.Connection, peers: dict[str, str], exclude: set[str]
    ) -> dict[str, str]:
        names = [peer for peer in peers if peer not in exclude]
        rows = conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s) "
            "AND shobj_description(oid, 'pg_authid') = %s",
            [names, MARKER],
        ).fetchall()
        return {row[0]: peers[row[0]] for row in rows}

    # --- databases -----------------------------------------------------------------------

    def inspect_database(self, name: str) -> DatabaseInfo | None:
        query = (
            "SELECT d.datname, r.rolname, pg_database_size(d.oid) FROM pg_database d "
            "JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = %s"
        )
        with self.connect() as conn:
            row = conn.execute(query, [name]).fetchone()
        return DatabaseInfo(*row) if row else None

    def _owner_of(self, database: str) -> str:
        info = self.inspect_database(database)
        if info is None:
            raise BackendError(f"The database {database} does not exist on the server.")
        return info.owner

    def ensure_database(self, name: str, owner: str, *, connection_limit: int) -> bool:
        """Create database NAME owned by OWNER, closed to PUBLIC; True if it was created."""
        db, role = _ident(name), _ident(owner)
        info = self.inspect_database(name)
        if info is not None and info.owner != owner:
            raise BackendError(f"A database named {name} already exists on the server.")
        limit = sql.Literal(int(connection_limit))
        with self.connect() as conn:
            if info is None:  # CREATE DATABASE must be a statement of its own
                conn.execute(
                    sql.SQL(
                        "CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8' "
                        "CONNECTION LIMIT {}"
                    ).format(db, role, limit)
                )
                grants = sql.SQL("")
            else:
                grants = sql.SQL("ALTER DATABASE {} CONNECTION LIMIT {}; ").format(db, limit)
            conn.execute(
                grants
                + sql.SQL(
                    "REVOKE ALL ON DATABASE {} FROM PUBLIC; GRANT ALL ON DATABASE {} TO {}"
                ).format(db, db, role)
            )
        return info is None

    def remove_database(self, name: str, *, owner: str) -> str:
        """Terminate sessions and drop NAME if OWNER (a managed role) owns it.

        Returns "dropped", "absent", or "foreign" (owned by someone else: left alone).
        """
        query = (
            "SELECT r.rolname, shobj_description(r.oid, 'pg_authid') = %s FROM pg_database d "
            "JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = %s"
        )
        with self.connect() as conn:
            row = conn.execute(query, [MARKER, name]).fetchone()
            if row is None:
                return "absent"
            if row[0] != owner or not row[1]:
                return "foreign"
            # FORCE ends its sessions and keeps new ones out while it drops.
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(_ident(name)))
        return "dropped"

    def database_sizes(self, names: list[str]) -> dict[str, int]:
        query = "SELECT datname, pg_database_size(oid) FROM pg_database WHERE datname = ANY(%s)"
        with self.connect() as conn:
            return dict(conn.execute(query, [names]).fetchall())

    def list_databases(self) -> dict[str, str]:
        """Every non-template database on the server -> its owner."""
        query = (
            "SELECT d.datname, r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
            "WHERE NOT d.datistemplate"
        )
        with self.connect() as conn:
            return dict(conn.execute(query).fetchall())

    def list_roles(self) -> dict[str, bool]:
        """Every role on the server that is not PostgreSQL's own -> whether it is managed."""
        query = (
            "SELECT rolname, shobj_description(oid, 'pg_authid') = %s FROM pg_roles "
            "WHERE rolname NOT LIKE 'pg\\_%%' AND oid >= 16384"
        )
        with self.connect() as conn:
            return {name: bool(managed) for name, managed in conn.execute(query, [MARKER])}

    # --- strays (an admin decided: dropped whoever made them) ---------------------------

    def adopt_database(self, name: str) -> None:
        """Make the stray database NAME and its same-named owner role the panel's: the role
        gets the managed marker (so the panel may later change or remove it)."""
        info = self.inspect_database(name)
        if info is None:
            raise BackendError(f"The database {name} is no longer on the server.")
        if info.owner != name:
            raise BackendError(
                f"{name} is owned by {info.owner}: only a database owned by a role of the "
                "same name can be adopted."
            )
        with self.connect() as conn:
            conn.execute(
                sql.SQL("COMMENT ON ROLE {} IS {}").format(_ident(name), sql.Literal(MARKER))
            )

    def drop_stray_database(self, name: str) -> str:
        """Drop database NAME whoever owns it; "dropped" or "absent"."""
        if self.inspect_database(name) is None:
            return "absent"
        with self.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(_ident(name)))
        return "dropped"

    def drop_stray_role(self, name: str) -> str:
        """Drop role NAME (refused by the server while it owns something); "dropped"/"absent"."""
        if self.inspect_role(name) is None:
            return "absent"
        with self.connect() as conn:
            conn.execute(_terminate_and_drop_role(name))
        return "dropped"


def _terminate_and_drop_role(name: str) -> sql.Composed:
    """End the role's sessions and drop it, in one round trip (one implicit transaction)."""
    return sql.SQL(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = {}; "
        "DROP ROLE IF EXISTS {}"
    ).format(sql.Literal(name), _ident(name))
