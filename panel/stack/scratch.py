"""A whole panel started as `make run` starts it, on a database and Redis of its own, for the
reliability tests and the soak (bench/soak.py): faults injected there disturb nobody else.

The database is made by the owner role (DATABASE_OWNER_URL) on the stack's PostgreSQL,
empty; `make run`'s bootstrap migrates it. The panel's processes are found by the port in
their environment (HEARTH_PORT), which every child of `make run` inherits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from panel.stack.common import ROOT, StackError, free_port, wait_until
from panel.stack.redis import RedisServer, start_redis

RUNNING = "Hearth is running at"  # printed by panel/stack/run.py once the web server answers


def _renamed(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def create_database(name: str) -> dict[str, str]:
    """An empty database NAME beside the panel's; DATABASE_URL and DATABASE_OWNER_URL for it."""
    runtime = os.environ.get("DATABASE_URL", "")
    if not runtime:
        raise StackError("DATABASE_URL is not set: run under the stack (make test / make soak)")
    owner = os.environ.get("DATABASE_OWNER_URL") or runtime
    ident = sql.Identifier(name)
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
        user = urlsplit(runtime).username
        if user and user != urlsplit(owner).username:
            grant = sql.SQL("GRANT CONNECT ON DATABASE {} TO {}")
            conn.execute(grant.format(ident, sql.Identifier(user)))
    return {"DATABASE_URL": _renamed(runtime, name), "DATABASE_OWNER_URL": _renamed(owner, name)}


def drop_database(env: dict[str, str], via: str) -> None:
    """Drop the database ENV names, connected as the owner through the URL VIA."""
    name = urlsplit(env["DATABASE_OWNER_URL"]).path.lstrip("/")
    with psycopg.connect(via, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


class ScratchPanel:
    """`python -m panel.stack run` on its own database and Redis, in its own session."""

    def __init__(self, workdir: Path, database: str, env: dict[str, str] | None = None):
        self.workdir = workdir
        self.owner_url = os.environ.get("DATABASE_OWNER_URL") or os.environ["DATABASE_URL"]
        self.redis = start_redis(workdir / "redis", free_port())
        self.db_env = create_database(database)
        self.port = free_port()
        self.env = {
            **os.environ,
            **self.db_env,
            "REDIS_URL": self.redis.url(0),
            "HEARTH_PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.env.pop("SECURITY_REDIS_URL", None)
        self.log = workdir / "panel.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 300) -> None:
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - argv list
                [sys.executable, "-m", "panel.stack", "run"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        up = wait_until(lambda: RUNNING in self.output() or self.proc.poll() is not None, timeout)
        if not up or self.proc.poll() is not None:
            raise StackError(f"the panel did not start:\n{self.output()[-3000:]}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def processes(self) -> list[int]:
        """Every process of this panel: `make run` and all it started, with their children."""
        marker = f"HEARTH_PORT={self.port}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if marker in environ and state != "Z":
                found.append(int(entry.name))
        return found

    def group_of(self, word: str) -> int | None:
        """The process group `make run` started for a child whose command line has WORD
        (worker, beat, gated_runserver/gunicorn): its leader's pid."""
        for pid in self.processes():
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                leader = os.getpgid(pid) == pid
            except OSError:
                continue
            if leader and any(word.encode() == part for part in argv):
                return pid
        return None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)

    def destroy(self) -> None:
        """Stop the panel, drop its database, remove its Redis."""
        self.stop()
        for pid in self.processes():  # nothing should be left; never leave it running
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        drop_database(self.db_env, self.owner_url)
        RedisServer(self.redis.dir, self.redis.port).destroy()
