"""A throwaway PostgreSQL cluster for backend tests: SCRAM passwords over TCP on loopback.

Unlike the panel's own dev database (trust auth), this target checks passwords, so a test
that logs in as a provisioned role really proves the password works.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"


def _bindir() -> Path:
    versions = sorted(
        (p for p in PG_ROOT.iterdir() if (p / "bin" / "initdb").exists()),
        key=lambda p: float(p.name),
    )
    return versions[-1] / "bin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_service_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", SUPERUSER, "--", *argv]


def _give(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(SUPERUSER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


@dataclass
class TargetCluster:
    root: Path
    port: int
    password: str
    bindir: Path

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def _run(self, *argv: str) -> None:
        subprocess.run(_as_service_user([str(a) for a in argv]), check=True, capture_output=True)

    def start(self) -> None:
        self._run(
            self.bindir / "pg_ctl",
            "-D",
            self.datadir,
            "-l",
            self.root / "server.log",
            "-o",
            f"-p {self.port}",
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(self.bindir / "pg_ctl", "-D", self.datadir, "-m", mode, "-w", "stop")

    def connect(self, dbname: str = "postgres", user: str = SUPERUSER, password: str | None = None):
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            dbname=dbname,
            user=user,
            password=self.password if password is None else password,
            autocommit=True,
            connect_timeout=5,
        )

    def query(self, sql: str, params: list | None = None, dbname: str = "postgres") -> list:
        with self.connect(dbname) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def databases(self) -> set[str]:
        return {row[0] for row in self.query("SELECT datname FROM pg_database")}

    def roles(self) -> set[str]:
        return {row[0] for row in self.query("SELECT rolname FROM pg_roles")}


def start_cluster() -> TargetCluster:
    root = Path(tempfile.mkdtemp(prefix="hearth-target-pg-"))
    root.chmod(0o755)
    _give(root)
    cluster = TargetCluster(root, _free_port(), secrets.token_urlsafe(16), _bindir())
    pwfile = root / "pwfile"
    pwfile.write_text(cluster.password + "\n")
    _give(pwfile)
    cluster._run(
        cluster.bindir / "initdb",
        "-D",
        cluster.datadir,
        f"--username={SUPERUSER}",
        f"--pwfile={pwfile}",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--no-locale",
        "--no-sync",
        "--no-instructions",
    )
    pwfile.unlink()
    with (cluster.datadir / "postgresql.conf").open("a") as conf:
        conf.write(
            "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        )
    cluster.start()
    return cluster


def destroy_cluster(cluster: TargetCluster) -> None:
    try:
        cluster.stop("immediate")
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)
