"""A throwaway PostgreSQL cluster for backend tests: SCRAM passwords over TCP on loopback.

Unlike the panel's own dev database (trust auth), this target checks passwords, so a test
that logs in as a provisioned role really proves the password works. It is started with
the same code that `make run` uses (panel.stack), in a temporary directory.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from panel.stack import free_port, start_postgres
from panel.stack.postgres import SUPERUSER, PgCluster

__all__ = ["TargetCluster", "destroy_cluster", "free_port", "start_cluster"]


@dataclass
class TargetCluster:
    cluster: PgCluster
    root: Path

    @property
    def port(self) -> int:
        return self.cluster.port

    @property
    def password(self) -> str:
        return self.cluster.password or ""

    def stop(self) -> None:
        self.cluster.stop()

    def start(self) -> None:
        self.cluster.start()

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
    cluster = start_postgres(root / "data", password=secrets.token_urlsafe(16))
    return TargetCluster(cluster, root)


def destroy_cluster(target: TargetCluster) -> None:
    target.cluster.destroy()
    shutil.rmtree(target.root, ignore_errors=True)
