"""A throwaway PowerDNS Authoritative: gpgsql in its own database, DNS + HTTP API on loopback.

The zone data lives in a database (`pdns` by default) on the stack's PostgreSQL, created and
loaded with Debian's schema on first start. The API key is generated once per stack and kept
in the server's directory (mode 0600). Hearth talks to it only through the HTTP API.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from panel.stack.common import (
    HOST,
    StackError,
    free_port,
    is_root,
    pid_from_file,
    port_accepts,
    psql,
    terminate,
    tool,
)
from panel.stack.daemon import Daemon, spawn_until_listening

SCHEMA = Path("/usr/share/pdns-backend-pgsql/schema/schema.pgsql.sql")
CONF_NAME = "pdns.conf"
PDNS_USER = "pdns"  # Debian's package creates it; the server drops to it when started as root
DEFAULT_DB = "pdns"
START_ATTEMPTS = 3
# SOA of new zones when a zone is created without one (Hearth always sends its own).
DEFAULT_SOA = "ns1.hearth.test. hostmaster.hearth.test. 0 10800 3600 604800 3600"


def pdns_available() -> bool:
    return shutil.which("pdns_server", path="/usr/sbin:/usr/bin") is not None and SCHEMA.exists()


@dataclass
class PgTarget:
    """Where PowerDNS keeps its zones: host, port, user, password, database."""

    host: str
    port: int
    user: str
    password: str
    dbname: str

    @classmethod
    def from_url(cls, url: str, dbname: str = DEFAULT_DB) -> PgTarget:
        parts = urlsplit(url)
        return cls(
            host=parts.hostname or HOST,
            port=parts.port or 5432,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            dbname=dbname,
        )

    def psql(self, *args: str, dbname: str | None = None) -> str:
        database = dbname or self.dbname
        return psql(tool("psql"), self.host, self.port, self.user, self.password, database, *args)

    def ensure_schema(self) -> None:
        """Create the database and load the schema unless they are there already."""
        query = f"SELECT 1 FROM pg_database WHERE datname = '{self.dbname}'"  # noqa: S608 - const
        if self.psql("-c", query, dbname="postgres") != "1":
            self.psql("-c", f'CREATE DATABASE "{self.dbname}"', dbname="postgres")
        if self.psql("-c", "SELECT to_regclass('public.domains') IS NOT NULL") != "t":
            self.psql("-f", str(SCHEMA))


@dataclass
class PdnsServer(Daemon):
    dir: Path
    dns_port: int
    api_port: int
    started: bool = False
    host: str = HOST

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}/api/v1"

    @property
    def pidfile(self) -> Path:
        return self.dir / "pdns_server.pid"

    @property
    def logfile(self) -> Path:
        return self.dir / "pdns.log"

    @property
    def keyfile(self) -> Path:
        return self.dir / "api-key"

    def api_key(self) -> str:
        """The stack's API key (made on first use, kept across restarts)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if not self.keyfile.exists():
            self.keyfile.touch(mode=0o600)
            self.keyfile.write_text(secrets.token_urlsafe(32))
        return self.keyfile.read_text().strip()

    def running_pid(self) -> int | None:
        return pid_from_file(self.pidfile, b"pdns_server")

    def forget_pid(self) -> None:
        self.pidfile.unlink(missing_ok=True)

    def write_conf(self, target: PgTarget) -> None:
        lines = [
            "# Written by panel.stack on every start; edit panel/stack/pdns.py instead.",
            "launch=gpgsql",
            f"gpgsql-host={target.host}",
            f"gpgsql-port={target.port}",
            f"gpgsql-user={target.user}",
            f"gpgsql-password={target.password}",
            f"gpgsql-dbname={target.dbname}",
            "gpgsql-dnssec=yes",
            f"local-address={self.host}",
            f"local-port={self.dns_port}",
            "api=yes",
            f"api-key={self.api_key()}",
            "webserver=yes",
            f"webserver-address={self.host}",
            f"webserver-port={self.api_port}",
            "webserver-allow-from=127.0.0.0/8",
            f"socket-dir={self.dir}",
            f"default-soa-content={DEFAULT_SOA}",
            "primary=yes",
            # Transfers only with a TSIG key the zone allows (TSIG-ALLOW-AXFR), never by address.
            "allow-axfr-ips=",
            "only-notify=127.0.0.0/8",
            "disable-syslog=yes",
            "loglevel=4",
            "guardian=no",
            "daemon=no",
            "write-pid=no",
            "query-cache-ttl=0",
            "cache-ttl=0",
            "negquery-cache-ttl=0",
            "zone-cache-refresh-interval=0",
            "consistent-backends=yes",
            "security-poll-suffix=",
        ]
        if is_root() and _user_exists(PDNS_USER):
            lines += [f"setuid={PDNS_USER}", f"setgid={PDNS_USER}"]
        conf = self.dir / CONF_NAME
        conf.touch(mode=0o600)
        conf.write_text("\n".join(lines) + "\n")
        if is_root() and _user_exists(PDNS_USER):
            entry = pwd.getpwnam(PDNS_USER)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)

    def start(self, target: PgTarget) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.write_conf(target)
        argv = [tool("pdns_server"), f"--config-dir={self.dir}"]
        proc, up = spawn_until_listening(argv, self.logfile, [self.api_port, self.dns_port])
        self.pidfile.write_text(f"{proc.pid}\n")
        if not up:
            if proc.poll() is None:
                terminate(proc.pid)
            raise StackError(f"pdns_server did not come up\n{self.log_tail()}")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def configured_ports(directory: Path) -> tuple[int, int] | None:
    """(dns_port, api_port) from the config written at the last start, if any."""
    try:
        text = (directory / CONF_NAME).read_text()
    except OSError:
        return None
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    try:
        return int(values["local-port"]), int(values["webserver-port"])
    except (KeyError, ValueError):
        return None


def start_pdns(directory: Path, database_url: str, dbname: str = DEFAULT_DB) -> PdnsServer:
    """Start PowerDNS in DIRECTORY on free ports, its zones in DBNAME on DATABASE_URL's server.

    Reused (`.started` False) if it already runs there.
    """
    directory = directory.absolute()
    ports = configured_ports(directory)
    if ports is not None:
        existing = PdnsServer(directory, *ports)
        if existing.is_running() and port_accepts(existing.api_port):
            return existing
    target = PgTarget.from_url(database_url, dbname)
    target.ensure_schema()
    for attempt in range(START_ATTEMPTS):
        server = PdnsServer(directory, free_port(), free_port(), started=True)
        try:
            server.start(target)
            return server
        except StackError:
            if attempt == START_ATTEMPTS - 1 or "Unable to bind" not in server.log_tail():
                raise
    raise AssertionError("unreachable")
