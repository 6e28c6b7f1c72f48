"""A throwaway PostgreSQL cluster: initdb into a directory, TCP on 127.0.0.1 only (SCRAM logins)."""

from __future__ import annotations

import re
import shutil
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from panel.stack.common import (
    HOST,
    TMP_BASE,
    StackError,
    as_user,
    fallback_dir,
    free_port,
    give_to,
    log_tail,
    pid_alive,
    pid_exists,
    psql,
    run,
    say,
    service_user,
    user_can_use,
    wait_until,
)

PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
CONF_NAME = "hearth.conf"
START_ATTEMPTS = 3

# Development/test cluster: no unix socket, loopback only, durability traded for speed.
CONF_TEMPLATE = """\
# Written by panel.stack on every start; edit panel/stack/postgres.py instead.
listen_addresses = '{host}'
port = {port}
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
hba_file = '{hba}'
"""

# Who may log in over TCP. SCRAM for every role; the bootstrap superuser of a cluster made
# without a password (the panel's own, in development) keeps trust on loopback, so the
# stack can manage roles without storing a superuser password.
HBA_NAME = "hearth_hba.conf"
HBA_SUPERUSER_TRUST = f"host all {SUPERUSER} {HOST}/32 trust\n"
HBA_SCRAM = f"host all all {HOST}/32 scram-sha-256\n"


def pg_bindirs() -> dict[str, Path]:
    """Installed server versions ('15', '16', ...) -> their bin directory."""
    found: dict[str, Path] = {}
    if PG_ROOT.is_dir():
        for entry in PG_ROOT.iterdir():
            if re.fullmatch(r"\d+(\.\d+)?", entry.name) and (entry / "bin" / "initdb").exists():
                found[entry.name] = entry / "bin"
    return found


def pg_bindir(version: str | None = None) -> Path | None:
    """The bin dir of VERSION, or of the newest installed version."""
    found = pg_bindirs()
    if version is not None:
        return found.get(version)
    if not found:
        return None
    newest = max(found, key=lambda v: tuple(int(part) for part in v.split(".")))
    return found[newest]


def pg_available() -> bool:
    return pg_bindir() is not None


def wait_for_dead_postmaster(datadir: Path, timeout: float = 20.0) -> None:
    """After a crash the dead postmaster can stay a zombie until init reaps it, and
    postgres refuses to start while that pid exists: give init a moment."""
    try:
        pid = int((datadir / "postmaster.pid").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return
    wait_until(lambda: not pid_exists(pid), timeout, 0.2)


def running_port(datadir: Path) -> int | None:
    """The port of the postmaster running on DATADIR, from postmaster.pid, if it is alive."""
    try:
        lines = (datadir / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, IndexError, ValueError):
        return None
    return port if pid_alive(pid) else None


@dataclass
class PgCluster:
    datadir: Path
    port: int
    bindir: Path
    user: str | None = None  # the OS user running the server (None: ourselves)
    started: bool = False  # True if start_postgres() started it (rather than found it running)
    host: str = HOST
    password: str | None = None  # set: TCP logins need it (SCRAM); None: trust
    name: str = "postgres"  # what the stack calls it in messages and var/stack.json

    def url(self, dbname: str = "postgres") -> str:
        credentials = f"{SUPERUSER}:{self.password}" if self.password else SUPERUSER
        return f"postgres://{credentials}@{self.host}:{self.port}/{dbname}"

    @property
    def logfile(self) -> Path:
        return self.datadir / "server.log"

    def is_running(self) -> bool:
        return running_port(self.datadir) is not None

    def pg_ctl(self, *args: str) -> None:
        argv = [self.bindir / "pg_ctl", "-D", self.datadir, *args]
        run(as_user(argv, self.user), cwd=self.datadir)

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        return psql(
            self.bindir / "psql", self.host, self.port, SUPERUSER, self.password, dbname, "-c", sql
        )

    def create_database(self, name: str) -> bool:
        """CREATE DATABASE NAME unless it exists; True if created."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise StackError(f"unsupported database name {name!r}")
        query = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"  # noqa: S608 - checked
        if self.psql(query) == "1":
            return False
        self.psql(f'CREATE DATABASE "{name}"')
        return True

    def start(self) -> None:
        write_conf(self.datadir, self.port, self.user, trust_superuser=not self.password)
        try:
            self.pg_ctl("-l", str(self.logfile), "-w", "-t", "60", "start")
        except StackError as exc:
            raise StackError(f"{exc}\n--- {self.logfile} (tail) ---\n{self.log_tail()}") from None

    def stop(self) -> None:
        """Fast shutdown (no-op if not running)."""
        if self.is_running():
            self.pg_ctl("-m", "fast", "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        """Stop and delete the data directory (for test fixtures)."""
        self.stop()
        shutil.rmtree(self.datadir, ignore_errors=True)
        if self.datadir.parent.parent == TMP_BASE:  # a fallback dir made by reachable_datadir
            with suppress(OSError):
                self.datadir.parent.rmdir()

    def log_tail(self, lines: int = 20) -> str:
        return log_tail(self.logfile, lines)


def write_conf(datadir: Path, port: int, user: str | None, *, trust_superuser: bool) -> None:
    hba = datadir / HBA_NAME
    hba.write_text(
        "# Written by panel.stack on every start; edit panel/stack/postgres.py instead.\n"
        + (HBA_SUPERUSER_TRUST if trust_superuser else "")
        + HBA_SCRAM
    )
    conf = datadir / CONF_NAME
    conf.write_text(CONF_TEMPLATE.format(host=HOST, port=port, hba=hba))
    for path in (hba, conf):
        give_to(path, user)


def reachable_datadir(datadir: Path, user: str | None, fallback_key: str) -> Path:
    """DATADIR, or a /var/tmp fallback when USER cannot reach it (a parent isn't traversable)."""
    datadir.mkdir(parents=True, exist_ok=True)
    give_to(datadir, user)
    if user_can_use(user, datadir):
        return datadir
    fallback = fallback_dir(fallback_key, datadir.name)
    say(
        f"postgres: user {user!r} cannot reach {datadir} (a parent directory is not "
        f"traversable); using {fallback} instead"
    )
    if not any(datadir.iterdir()):
        datadir.rmdir()
    fallback.mkdir(parents=True, exist_ok=True)
    give_to(fallback, user)
    if not user_can_use(user, fallback):
        raise StackError(f"user {user!r} cannot write {fallback} either")
    return fallback


def initdb(datadir: Path, bindir: Path, user: str | None, password: str | None = None) -> None:
    """initdb with trust auth, or, given PASSWORD, SCRAM for TCP logins (local: trust)."""
    if any(datadir.iterdir()):
        if not (datadir / "global").is_dir():
            raise StackError(f"{datadir} is not empty and holds no PostgreSQL cluster")
        shutil.rmtree(datadir)  # a half-made cluster from an interrupted initdb
        datadir.mkdir()
        give_to(datadir, user)
    pwfile = datadir.parent / f".{datadir.name}.pw"
    if password:
        pwfile.write_text(password + "\n")
        give_to(pwfile, user)
        auth = [f"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256"]
    else:
        auth = ["--auth=trust"]
    argv = [
        bindir / "initdb",
        "-D",
        datadir,
        *auth,
        f"--username={SUPERUSER}",
        "--encoding=UTF8",
        "--no-locale",
        "--no-sync",
        "--no-instructions",
    ]
    try:
        run(as_user(argv, user), cwd=datadir)
    finally:
        pwfile.unlink(missing_ok=True)
    with (datadir / "postgresql.conf").open("a") as conf:
        conf.write(f"\ninclude_if_exists = '{CONF_NAME}'\n")


def start_postgres(
    datadir: Path,
    port: int | None = None,
    *,
    dbname: str | None = None,
    fallback_key: str | None = None,
    password: str | None = None,
) -> PgCluster:
    """Start (initdb first if needed) a cluster in DATADIR and return it.

    If a server already runs on DATADIR it is reused (its port wins; `.started` is False).
    PORT None picks a free port. When root, the server runs as the `postgres` (else `hearth`)
    system user; if that user cannot reach DATADIR, a dir under /var/tmp is used instead
    (see `.datadir`). DBNAME is created if missing. PASSWORD (for a new cluster) makes TCP
    logins check passwords (SCRAM), like a real managed server.
    """
    user = service_user()
    datadir = reachable_datadir(datadir.absolute(), user, fallback_key or str(datadir.absolute()))
    version_file = datadir / "PG_VERSION"
    version = version_file.read_text().strip() if version_file.exists() else None
    bindir = pg_bindir(version)
    if bindir is None:
        wanted = f"PostgreSQL {version} (the version of {datadir})" if version else "PostgreSQL"
        raise StackError(f"{wanted} server binaries not found under {PG_ROOT}")
    cluster = PgCluster(datadir, 0, bindir, user, password=password)
    existing = running_port(datadir)
    if existing is not None:
        cluster.port = existing
    else:
        if version is None:
            initdb(datadir, bindir, user, password)
        wait_for_dead_postmaster(datadir)
        start_on_free_port(cluster, port)
        cluster.started = True
    if dbname:
        cluster.create_database(dbname)
    return cluster


def start_on_free_port(cluster: PgCluster, port: int | None) -> None:
    """Start on PORT, or on a free port (retrying if another process grabs it first)."""
    attempts = 1 if port is not None else START_ATTEMPTS
    for attempt in range(attempts):
        cluster.port = port if port is not None else free_port()
        try:
            cluster.start()
            return
        except StackError:
            if attempt == attempts - 1 or "could not bind" not in cluster.log_tail():
                raise
