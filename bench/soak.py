"""Soak test (not in CI): the panel as `make run` starts it, under agents and jobs, while the
worker is killed and Redis restarted at random; prints what was asked, answered and kept.

    make soak                                   # 200 agents, 10 minutes
    make soak SOAK_ARGS="--agents 50 --minutes 3"

What runs: `python -m panel.stack run` (web, worker, beat, supervised) on a database of
its own (`soak_hearth`, created fresh by the owner role, dropped at the end) and a Redis of
its own, so restarting it disturbs nobody else (panel/stack/scratch.py). The managed
database server is the stack's (PROVISIONING_PG_URL); the soak's customer has a prefix of
its own, and what it created there is removed at the end.

Load: N simulated agents, each taking one sample every --sample-seconds and sending what
it holds (at most 100 samples), keeping unacknowledged samples for the next send as the
real agent does; a stream of create/delete database requests through the REST API.
Faults: every --fault-seconds on average (exponential), either SIGKILL to the worker's
process group (the supervisor must restart it) or a Redis stop of --redis-down seconds.
Then a drain: faults stop, agents send what they hold, jobs get time to finish.

Printed: requests and answers by status (5xx apart: 503 is the designed answer of the
rate-limited API while Redis is down; 500 is a bug), samples acknowledged vs stored (and
duplicates), jobs started vs finished, strays and missing on the managed server.
"""

from __future__ import annotations

import argparse
import heapq
import http.client
import json
import os
import random
import secrets
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.payload import one_sample  # noqa: E402
from panel.stack.common import HOST, wait_until  # noqa: E402
from panel.stack.redis import RedisServer  # noqa: E402
from panel.stack.scratch import ScratchPanel  # noqa: E402

BATCH = 100


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sample-seconds", type=float, default=10.0, help="per agent")
    parser.add_argument("--job-seconds", type=float, default=3.0, help="between creates")
    parser.add_argument("--keep-databases", type=int, default=4, help="delete beyond this")
    parser.add_argument("--fault-seconds", type=float, default=45.0, help="mean gap")
    parser.add_argument("--redis-down", type=float, default=10.0, help="seconds per outage")
    parser.add_argument("--drain-seconds", type=float, default=240.0, help="at most")
    parser.add_argument("--senders", type=int, default=8, help="client threads for agents")
    parser.add_argument("--seed", type=int, default=None)
    return parser.parse_args(argv)


# --- what the soak sets up in the panel's database -----------------------------------------


def setup_data(agents: int) -> dict:
    import logging

    import django
    from django.utils import timezone

    django.setup()
    logging.getLogger("security.audit").setLevel(logging.WARNING)  # one line per agent
    from accounts import services as accounts
    from accounts.models import Plan
    from api import services as api_services
    from monitoring import services as monitoring
    from provisioning.servers.models import Server

    plan = Plan.objects.create(name=f"Soak {secrets.token_hex(3)}", max_databases=100_000)
    prefix = "soak" + secrets.token_hex(3)
    account, _ = accounts.create_customer(
        name="Soak customer",
        email=f"{prefix}@example.test",
        prefix=prefix,
        plan=plan,
        password=secrets.token_urlsafe(16),
        actor=None,
    )
    account.owner.email_verified_at = timezone.now()  # unverified customers create nothing
    account.owner.save(update_fields=["email_verified_at"])
    _, token = api_services.create_token(
        account.owner, name="soak", scopes={"databases": "write"}, request=None
    )
    keys = []
    for i in range(agents):
        server = Server.objects.create(
            name=f"soak-agent-{i}", address=f"soak-agent-{i}.example.test", roles=["web"]
        )
        _, enrol = monitoring.create_enrolment_token(server, actor=None)
        _, key = monitoring.register_agent(enrol, hostname=server.name)
        keys.append((server.pk, key))
    return {"account": account, "token": token, "keys": keys, "prefix": prefix}


# --- load ----------------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.by_kind: Counter = Counter()
        self.failures: Counter = Counter()

    def count(self, kind: str, status: int | str) -> None:
        with self.lock:
            self.by_kind[kind] += 1
            self.statuses[status] += 1

    def failed(self, what: str) -> None:
        with self.lock:
            self.failures[what] += 1


def request(port: int, method: str, path: str, body: bytes | None, headers: dict):
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Agent:
    def __init__(self, server_id: int, key: str) -> None:
        self.server_id, self.key = server_id, key
        self.held: list[float] = []
        self.acknowledged: set[float] = set()

    def send(self, port: int, tally: Tally) -> None:
        batch = self.held[:BATCH]
        if not batch:
            return
        body = json.dumps(
            {
                "server": self.server_id,
                "interval": 10,
                "agent_version": "soak",
                "samples": [one_sample(ts) for ts in batch],
            }
        ).encode()
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        try:
            status, _ = request(port, "POST", "/api/agent/v1/metrics", body, headers)
        except OSError as exc:
            tally.count("agent", "no answer")
            tally.failed(f"agent: {exc.__class__.__name__}")
            return
        tally.count("agent", status)
        if status == 200:
            self.acknowledged.update(batch)
            del self.held[: len(batch)]


class Agents:
    """N agents on a schedule, served by a few sender threads (a heap of due times)."""

    def __init__(self, keys, port: int, tally: Tally, every: float, senders: int) -> None:
        self.agents = [Agent(server_id, key) for server_id, key in keys]
        self.port, self.tally, self.every = port, tally, every
        start = time.monotonic()
        self.due = [(start + every * i / len(self.agents), i) for i in range(len(self.agents))]
        heapq.heapify(self.due)
        self.lock = threading.Lock()
        self.sampling = threading.Event()
        self.sampling.set()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._serve, daemon=True) for _ in range(senders)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            with self.lock:
                when, index = heapq.heappop(self.due)
            pause = when - time.monotonic()
            if pause > 0:
                time.sleep(min(pause, 0.5))
                with self.lock:
                    heapq.heappush(self.due, (when, index))
                continue
            agent = self.agents[index]
            if self.sampling.is_set():
                agent.held.append(round(time.time(), 3))
            agent.send(self.port, self.tally)
            with self.lock:
                heapq.heappush(self.due, (max(when + self.every, time.monotonic()), index))

    def held(self) -> int:
        return sum(len(agent.held) for agent in self.agents)

    def acknowledged(self) -> int:
        return sum(len(agent.acknowledged) for agent in self.agents)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)


class Jobs(threading.Thread):
    """Creates a database every few seconds and deletes the oldest active beyond a few."""

    def __init__(self, data: dict, port: int, tally: Tally, every: float, keep: int) -> None:
        super().__init__(daemon=True)
        self.data, self.port, self.tally, self.every, self.keep = data, port, tally, every, keep
        self.stopping = threading.Event()
        self.started = Counter()
        self.number = 0

    def _api(self, method: str, path: str, body: dict | None = None) -> int:
        headers = {
            "Authorization": f"Bearer {self.data['token']}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        payload = json.dumps(body).encode() if body is not None else None
        try:
            status, _ = request(self.port, method, path, payload, headers)
        except OSError as exc:
            self.tally.count("api", "no answer")
            self.tally.failed(f"api: {exc.__class__.__name__}")
            return 0
        self.tally.count("api", status)
        return status

    def run(self) -> None:
        from provisioning.engine.choices import ResourceState
        from provisioning.models import Database

        while not self.stopping.wait(self.every):
            self.number += 1
            if self._api("POST", "/api/v1/databases/", {"name": f"s{self.number}"}) == 202:
                self.started["create"] += 1
            active = Database.objects.filter(
                account=self.data["account"], state=ResourceState.ACTIVE
            ).order_by("pk")
            for pk in list(active.values_list("pk", flat=True))[: -self.keep or None]:
                if self._api("DELETE", f"/api/v1/databases/{pk}/") == 202:
                    self.started["delete"] += 1

    def stop(self) -> None:
        self.stopping.set()
        self.join(60)


class Faults(threading.Thread):
    def __init__(self, panel: ScratchPanel, mean: float, down: float, rng) -> None:
        super().__init__(daemon=True)
        self.panel, self.redis, self.mean, self.down, self.rng = panel, panel.redis, mean, down, rng
        self.stopping = threading.Event()
        self.done: Counter = Counter()
        self.log: list[str] = []

    def run(self) -> None:
        while not self.stopping.wait(self.rng.expovariate(1 / self.mean)):
            if self.rng.random() < 0.5:
                group = self.panel.group_of("worker")
                if group is not None:  # None: just killed, not restarted yet
                    os.killpg(group, signal.SIGKILL)
                    self.done["worker killed"] += 1
                    self.log.append(f"{time.strftime('%H:%M:%S')} worker killed ({group})")
            else:
                self.redis.stop()
                self.log.append(f"{time.strftime('%H:%M:%S')} redis stopped")
                self.stopping.wait(self.down)
                RedisServer(self.redis.dir, self.redis.port, started=True).start()
                self.done["redis restarted"] += 1
                self.log.append(f"{time.strftime('%H:%M:%S')} redis started")

    def stop(self) -> None:
        self.stopping.set()
        self.join(120)


# --- the end state -------------------------------------------------------------------------


def stored_samples(server_ids: list[int]) -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT (server_id, ts)) FROM monitoring_sample"
            " WHERE server_id = ANY(%s)",
            [server_ids],
        )
        return cursor.fetchone()


def job_states(account) -> Counter:
    from provisioning.models import ProvisioningJob

    states = Counter()
    for job in ProvisioningJob.objects.filter(account=account):
        states["cleanup pending" if job.cleanup_pending else job.state] += 1
    return states


def managed_server(prefix: str) -> tuple[set[str], set[str]]:
    url = os.environ["PROVISIONING_PG_URL"]
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        like = prefix + "\\_%"
        dbs = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [like])
        roles = conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", [like])
        return {r[0] for r in dbs.fetchall()}, {r[0] for r in roles.fetchall()}


def strays(account, prefix: str) -> tuple[list[str], list[str]]:
    """(on the server but not active in the panel, active in the panel but not on it), for
    databases and their roles alike."""
    from provisioning.engine.choices import ResourceState
    from provisioning.models import Database, DatabaseRole

    dbs, roles = managed_server(prefix)
    mine = Database.objects.filter(account=account)
    active = set(mine.filter(state=ResourceState.ACTIVE).values_list("name", flat=True))
    active_roles = set(
        DatabaseRole.objects.filter(
            database__in=mine.filter(state=ResourceState.ACTIVE), state=ResourceState.ACTIVE
        ).values_list("name", flat=True)
    )
    extra = sorted((dbs - active) | (roles - active_roles))
    missing = sorted((active - dbs) | (active_roles - roles))
    return extra, missing


def clean_managed_server(prefix: str) -> None:
    dbs, roles = managed_server(prefix)
    with psycopg.connect(os.environ["PROVISIONING_PG_URL"], autocommit=True) as conn:
        for name in dbs:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        for name in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def drain(agents: Agents, jobs_account, limit: float) -> float:
    """Faults are over: agents send what they hold, jobs finish (bounded). Seconds taken."""
    from provisioning.engine.choices import JobState
    from provisioning.models import ProvisioningJob

    started = time.monotonic()
    agents.sampling.clear()
    unfinished = ProvisioningJob.objects.filter(account=jobs_account).exclude(
        state__in=[JobState.DONE, JobState.FAILED]
    )
    wait_until(lambda: agents.held() == 0 and not unfinished.exists(), limit, 1.0)
    return time.monotonic() - started


def restarts(log: Path) -> Counter:
    """What the supervisor restarted, from `make run`'s own output."""
    found = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if "; restarting in " in line:
            found[line.split()[0]] += 1
    return found


def report(args, tally: Tally, agents: Agents, jobs: Jobs, faults: Faults, data: dict, took):
    rows, distinct = stored_samples([sid for sid, _ in data["keys"]])
    states = job_states(data["account"])
    extra, missing = strays(data["account"], data["prefix"])
    fivexx = {s: n for s, n in tally.statuses.items() if isinstance(s, int) and s >= 500}
    started = sum(jobs.started.values())
    finished = states.get("done", 0) + states.get("failed", 0)
    lines = [
        f"soak: {args.agents} agents every {args.sample_seconds:g} s, {args.minutes:g} min,"
        f" a create every {args.job_seconds:g} s; faults every ~{args.fault_seconds:g} s"
        f" (Redis down {args.redis_down:g} s each); drain {took:.0f} s",
        f"faults:    {dict(faults.done)}; restarted by make run: {dict(data['restarts'])}",
        f"requests:  {sum(tally.by_kind.values())} ({dict(tally.by_kind)})",
        f"answers:   {dict(sorted(tally.statuses.items(), key=str))}",
        f"5xx:       {sum(fivexx.values())} {fivexx} (500s: {tally.statuses.get(500, 0)})",
        f"no answer: {dict(tally.failures)}",
        f"samples:   acknowledged {agents.acknowledged()}, stored {distinct}"
        f" (rows {rows}, duplicates {rows - distinct}), still held by agents {agents.held()}",
        f"jobs:      started {started} ({dict(jobs.started)}), finished {finished};"
        f" by state {dict(states)}",
        f"managed server: strays {len(extra)} {extra[:10]}, missing {len(missing)} {missing[:10]}",
    ]
    print("\n".join(lines), flush=True)
    print("fault log: " + "; ".join(faults.log), flush=True)


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    rng = random.Random(args.seed)
    if not os.environ.get("DATABASE_URL"):
        sys.exit("run under the stack: make soak (or python -m panel.stack exec -- ...)")
    panel = ScratchPanel(Path(tempfile.mkdtemp(prefix="hearth-soak-")), "soak_hearth")
    os.environ.update({**panel.db_env, "REDIS_URL": panel.redis.url(0)})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
    os.environ.setdefault("HEARTH_DEV", "1")
    data = None
    try:
        panel.start()
        print(f"soak: panel on port {panel.port}, log {panel.log}", flush=True)
        data = setup_data(args.agents)
        tally = Tally()
        agents = Agents(data["keys"], panel.port, tally, args.sample_seconds, args.senders)
        jobs = Jobs(data, panel.port, tally, args.job_seconds, args.keep_databases)
        faults = Faults(panel, args.fault_seconds, args.redis_down, rng)
        agents.start()
        jobs.start()
        faults.start()
        time.sleep(args.minutes * 60)
        faults.stop()
        jobs.stop()
        if not panel.redis.is_running():
            RedisServer(panel.redis.dir, panel.redis.port, started=True).start()
        took = drain(agents, data["account"], args.drain_seconds)
        data["restarts"] = restarts(panel.log)
        agents.stop()
        report(args, tally, agents, jobs, faults, data, took)
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        panel.stop()
        if data is not None:
            clean_managed_server(data["prefix"])
        panel.destroy()


if __name__ == "__main__":
    sys.exit(main())
