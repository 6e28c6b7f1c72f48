"""Provisioning jobs (started -> done) next to raw psycopg doing the same work on the server.

Starts a throwaway PostgreSQL cluster as the managed server, migrates the panel database
(DATABASE_URL), then --rounds times: creates a database through the service and runs its
job in this process (timed from the job's start to done), deletes it the same way, and does
the very same SQL with raw psycopg on one new connection per operation (the baseline).
Other database servers are retired for the run and made active again at the end. The
broker is pointed at a closed port, so nothing is queued; the runner is called directly.
Prints the medians and the ratios against the goals of issue 15 item 4.

    python -m panel.stack exec -- .venv/bin/python bench/provisioning_jobs.py --rounds 20
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
os.environ.setdefault("HEARTH_DEV", "1")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_LEVEL", "ERROR")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
GOALS = {"create": 1.3, "delete": 2.0}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{_closed_port()}/0"


def _setup(cluster):
    from accounts import services as accounts
    from accounts.models import Plan
    from provisioning.servers.models import Server
    from provisioning.servers.services import save_server

    plan = Plan.objects.create(
        name=f"bench-{secrets.token_hex(4)}",
        max_databases=10_000,
        max_mailboxes=0,
        max_dns_zones=0,
        disk_quota_mb=10_000_000,
    )
    prefix = f"b{secrets.token_hex(3)}"
    account, _ = accounts.create_customer(
        name="Bench", email=f"{prefix}@bench.test", prefix=prefix, plan=plan, actor=None
    )
    # New databases must land on the bench server: the others step aside until the end.
    others = list(Server.objects.active().with_role("database").values_list("pk", flat=True))
    Server.objects.filter(pk__in=others).update(status="retired")
    server = Server(name=f"bench-{prefix}", address="127.0.0.1", roles=["database"])
    settings = {"port": cluster.port, "user": "postgres", "dbname": "postgres"}
    save_server(
        server, database={**settings, "sslmode": "disable"}, password=cluster.password, actor=None
    )
    return account, server, others


def _restore(server, others) -> None:
    from provisioning.servers.models import Server

    Server.objects.filter(pk=server.pk).update(status="retired")
    Server.objects.filter(pk__in=others).update(status="active")


def _job_seconds(resource) -> float:
    from provisioning.engine import runner
    from provisioning.engine.models import ProvisioningJob

    job = ProvisioningJob.objects.for_resource(resource).filter(state="pending").get()
    started = time.perf_counter()
    outcome = runner.run_job(job.pk)
    elapsed = time.perf_counter() - started
    if outcome != "done":
        sys.exit(
            f"job {job.pk} ended {outcome}: {ProvisioningJob.objects.get(pk=job.pk).error_detail}"
        )
    return elapsed


def _panel_round(account, name: str) -> tuple[float, float]:
    from provisioning.databases import services
    from provisioning.databases.models import Database

    db, _ = services.create_database(account, name, actor=None)
    create = _job_seconds(db)
    db = Database.objects.get(pk=db.pk)
    services.delete_database(db, actor=None)
    return create, _job_seconds(db)


def _raw_round(cluster, name: str, verifier: str) -> tuple[float, float]:
    import psycopg
    from psycopg import sql

    def connect():
        return psycopg.connect(
            host="127.0.0.1",
            port=cluster.port,
            user="postgres",
            password=cluster.password,
            dbname="postgres",
            autocommit=True,
        )

    ident, marker = sql.Identifier(name), sql.Literal("managed by hearth")
    started = time.perf_counter()
    with connect() as conn:
        with conn.transaction():
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(verifier))
            )
            conn.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(ident, marker))
        conn.execute(
            sql.SQL(
                "CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8' CONNECTION LIMIT 20"
            ).format(ident, ident)
        )
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(ident))
        conn.execute(sql.SQL("GRANT ALL ON DATABASE {} TO {}").format(ident, ident))
        conn.execute("SELECT pg_database_size(%s)", [name]).fetchone()
    create = time.perf_counter() - started
    started = time.perf_counter()
    with connect() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(ident))
    return create, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", help="also write the medians and ratios to this file")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL to a PostgreSQL database the benchmark may write to")
    import django

    django.setup()
    from django.core.management import call_command

    from panel.stack import start_postgres
    from provisioning.databases import scram

    call_command("migrate", verbosity=0)
    root = Path(tempfile.mkdtemp(prefix="hearth-bench-pg-"))
    root.chmod(0o755)
    cluster = start_postgres(root / "data", password=secrets.token_urlsafe(16))
    try:
        account, server, others = _setup(cluster)
        verifier = scram.verifier(secrets.token_urlsafe(16))
        panel, raw = [], []
        for index in range(args.rounds):
            panel.append(_panel_round(account, f"p{index:03d}"))
            raw.append(_raw_round(cluster, f"{account.prefix}_r{index:03d}", verifier))
        _restore(server, others)
    finally:
        cluster.destroy()
    results = {}
    print(f"{args.rounds} rounds, {os.cpu_count()} CPUs; medians in ms; ratio: median of rounds")
    print(f"{'measure':<10}{'Hearth':>10}{'raw':>10}{'ratio':>8}{'goal':>8}  met?")
    for column, measure in enumerate(("create", "delete")):
        hearth = statistics.median(r[column] for r in panel) * 1000
        baseline = statistics.median(r[column] for r in raw) * 1000
        # Each round's Hearth job against the raw work done right after it, on the same
        # machine at nearly the same moment: the median of those ratios.
        ratio = statistics.median(p[column] / r[column] for p, r in zip(panel, raw, strict=True))
        spread = sorted(p[column] / r[column] for p, r in zip(panel, raw, strict=True))
        goal = GOALS[measure]
        met = "yes" if ratio <= goal else "no"
        print(f"{measure:<10}{hearth:>10.1f}{baseline:>10.1f}{ratio:>8.2f}{goal:>8.1f}  {met}")
        results[measure] = {
            "hearth": hearth,
            "baseline": baseline,
            "ratio": ratio,
            "goal": goal,
            "quartiles": [spread[len(spread) // 4], spread[(3 * len(spread)) // 4]],
        }
    if args.json:
        Path(args.json).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
