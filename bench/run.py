"""`make bench`: every monitoring bench against its baseline, in one run, as one table.

    make bench                      # the stack's PostgreSQL and Redis, a few minutes
    BENCH_SECONDS=2 make bench      # shorter runs per round (noisier)

See bench/README.md for how each baseline is built and why it is a fair comparison.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "agent")]

from bench import harness  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
AGENTS = int(os.environ.get("BENCH_AGENTS", "100"))
PROVISIONING_ROUNDS = int(os.environ.get("BENCH_PROVISIONING_ROUNDS", "20"))
RANGES = ("1h", "24h", "7d", "30d")


def _setup_django(databases: dict[str, str]) -> None:
    os.environ.update(databases, DJANGO_SETTINGS_MODULE="bench.settings")
    os.environ.setdefault("HEARTH_DEV", "1")
    os.environ.setdefault("DEBUG", "false")  # DEBUG keeps every query in memory
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from monitoring import storage

    storage.maintain_partitions()


# --- ingestion ------------------------------------------------------------------------------


def _agents(count: int) -> list[tuple[int, str]]:
    from monitoring import services
    from provisioning.servers.models import Server

    agents = []
    for n in range(count):
        server = Server.objects.create(name=f"bench-{n}", address="127.0.0.1")
        _, token = services.create_enrolment_token(server, actor=None)
        _, key = services.register_agent(token, hostname=server.name)
        agents.append((server.pk, key))
    return agents


def post_report(job, state) -> bool:
    """One agent report of `per` samples with fresh timestamps, by the agent's own client."""
    from hearth_agent.transport import Transport

    from bench.payload import one_sample

    url, path, server, key, per, base = job
    if "transport" not in state:
        state["transport"], state["n"] = Transport(url, 30), 0
        state["transport"]._base = path.rsplit("/", 1)[0]  # the baseline's own paths
    state["n"] += 1
    first = state["n"] * per
    samples = [one_sample(base + (first + i) * 0.001) for i in range(per)]
    payload = {"server": server, "interval": 10, "samples": samples}
    return state["transport"].post("/" + path.rsplit("/", 1)[1], payload, key=key).ok


def ingestion(hearth_url: str, raw_url: str, agents, per: int, raw_path: str) -> dict:
    now = time.time()

    def run(url: str, path: str, slot: int) -> float:
        base = now - 6000 + (slot + 2) * 300
        jobs = [(url, path, server, key, per, base) for server, key in agents]
        result = harness.drive(post_report, jobs, SECONDS)
        run.failed += result["failed"]
        run.p95 = max(run.p95, result["p95"]) if url == hearth_url else run.p95
        return result["rate"] * per

    run.failed, run.p95 = 0, 0.0
    h, b, ratio = harness.paired(
        lambda n: run(hearth_url, "/api/agent/v1/metrics", 2 * n),
        lambda n: run(raw_url, f"/{raw_path}", 2 * n + 1),
        ROUNDS,
    )
    return {"hearth": h, "baseline": b, "ratio": ratio, "failed": run.failed, "p95": run.p95}


# --- chart JSON -----------------------------------------------------------------------------


def _chart_data():
    """A server with 30 days of 10-second samples, rolled up; an admin's session cookie."""
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts import services
    from monitoring import rollups, storage
    from provisioning.servers.models import Server
    from security.models import TOTPDevice

    server = Server.objects.create(name="charted", address="127.0.0.1")
    now = timezone.now()
    storage.ensure_partitions((now - timedelta(days=d)).date() for d in range(32))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO monitoring_sample (server_id, ts, cpu_percent, load1, mem_percent, "
            "swap_percent, disk_percent, disk_read_bps, disk_write_bps, net_rx_bps, net_tx_bps, "
            "net_rx_pps, net_tx_pps) SELECT %s, t, 50 + 40 * sin(n / 500.0), 1.5, 60, 1, 40, "
            "1e4, 2e4, 5e4, 3e4, 40, 30 FROM generate_series(1, 259200) AS n, "
            "LATERAL (SELECT %s::timestamptz - make_interval(secs => n * 10)) AS x(t)",
            [server.pk, now],
        )
    rollups.roll_up(now=now + timedelta(minutes=1))
    admin, _ = services.create_admin("bench-admin@example.test", password="bench-pass-12345")
    device = TOTPDevice.objects.create(user=admin, name="bench", confirmed=True)
    client = Client()
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return server.pk, client.cookies["sessionid"].value


def get_json(job, state) -> bool:
    port, path, cookie = job
    if "conn" not in state:
        state["conn"] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn = state["conn"]
    try:
        conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
        response = conn.getresponse()
        response.read()
    except (OSError, http.client.HTTPException):
        conn.close()
        return False
    if response.getheader("Connection", "").lower() == "close":
        conn.close()
    return response.status == 200


def chart(server_url: str, pk: int, cookie: str, range_key: str, clients: int) -> dict:
    port = int(server_url.rsplit(":", 1)[1])

    def ms_per_request(path: str) -> float:
        jobs = [(port, path, cookie)] * clients
        result = harness.drive(get_json, jobs, SECONDS / 2, processes=min(2, clients))
        if result["failed"]:
            sys.exit(f"{path}: {result['failed']} requests failed")
        return 1000.0 / result["rate"]

    hearth = f"/monitoring/servers/{pk}/data.json?range={range_key}"
    bare = f"/bench/series/{pk}.json?range={range_key}"
    h, b, ratio = harness.paired(
        lambda n: ms_per_request(hearth), lambda n: ms_per_request(bare), ROUNDS
    )
    return {"hearth": h, "baseline": b, "ratio": ratio}


# --- alert evaluation -----------------------------------------------------------------------


def alert_pass(count: int = 1000) -> dict:
    """1,000 servers go silent at once: one evaluation pass against the bare SQL writes.

    Both run in a transaction that is rolled back (no email queued, repeatable).
    """
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from monitoring import alerts
    from monitoring.models import ServerState
    from provisioning.servers.models import Server

    now = timezone.now()
    servers = Server.objects.bulk_create(
        Server(name=f"quiet-{n}", address="127.0.0.1") for n in range(count)
    )
    old = now - timedelta(minutes=10)
    ServerState.objects.bulk_create(
        ServerState(server=s, last_report_at=old, last_sample_at=old) for s in servers
    )
    queries = []

    def hearth(_n) -> float:
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            opened = alerts.evaluate(now)["opened"]
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        assert opened >= count, opened
        queries.append(len(captured))
        return elapsed

    def bare(_n) -> float:
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(_BARE_ALERTS, {"now": now})
            cursor.execute("SELECT count(*) FROM monitoring_alertevent WHERE closed_at IS NULL")
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return elapsed

    h, b, ratio = harness.paired(hearth, bare, ROUNDS)
    Server.objects.filter(name__startswith="quiet-").delete()
    return {"hearth": h, "baseline": b, "ratio": ratio, "queries": max(queries)}


_BARE_ALERTS = """
WITH silent AS (
    SELECT st.server_id FROM monitoring_serverstate st
    WHERE st.last_report_at + make_interval(secs => st.interval_seconds * 3) < %(now)s
), opened AS (
    INSERT INTO monitoring_alertevent (rule_id, server_id, opened_at, value, message,
        close_reason)
    SELECT r.id, s.server_id, %(now)s, 600, 'silent', '' FROM silent s
    JOIN monitoring_alertrule r ON r.kind = 'silent' RETURNING server_id
)
INSERT INTO security_auditevent (created_at, actor_label, action, target_type, target_id,
    target_label, user_agent, request_id, details)
SELECT %(now)s, 'system', 'monitoring.alert_opened', 'provisioning.server', server_id::text,
    '', '', '', '{}'::jsonb FROM opened
"""


# --- provisioning jobs and the warm start (their own scripts) -------------------------------


def provisioning(databases: dict[str, str]) -> list[dict]:
    """bench/provisioning_jobs.py on the bench database: a job against raw psycopg."""
    out = ROOT / "var" / "bench-provisioning.json"
    env = {
        **os.environ,
        **databases,
        "DJANGO_SETTINGS_MODULE": "panel.settings",
        "LOG_LEVEL": "ERROR",
    }
    argv = [sys.executable, str(ROOT / "bench" / "provisioning_jobs.py"), "--json", str(out)]
    subprocess.run([*argv, "--rounds", str(PROVISIONING_ROUNDS)], env=env, check=True)  # noqa: S603
    results = json.loads(out.read_text())
    return [
        _row(
            f"database {measure} job, started -> done (ms)",
            result,
            f"<= {result['goal']:g}",
            result["ratio"] <= result["goal"],
        )  # fmt: skip
        for measure, result in results.items()
    ]


def warm_start() -> list[dict]:
    """The row of bench/warm_start.py, which `make bench` runs before the stack is up."""
    path = ROOT / "var" / "bench-warm-start.json"
    if not path.exists():
        return []
    result = json.loads(path.read_text())
    row = _row("make run, warm, to the first answer (s)", result, "<= 3 s",
               result["hearth"] <= 3.0, digits=2)  # fmt: skip
    return [row]


# --- the table ------------------------------------------------------------------------------


def main() -> None:
    databases = harness.bench_databases()
    _setup_django(databases)
    print(f"bench database ready; {os.cpu_count()} CPUs, {harness.WORKERS} gunicorn workers "
          f"per server, {SECONDS:g} s x {ROUNDS} rounds per side", flush=True)  # fmt: skip
    agents = _agents(AGENTS)
    pk, cookie = _chart_data()
    env = {**databases, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    hearth = harness.Gunicorn("panel.wsgi", env)
    raw = harness.Gunicorn("bench.raw_ingest:application", databases)
    rows = []
    try:
        one = ingestion(hearth.url, raw.url, agents, 1, "statement")
        met = one["ratio"] >= 0.6
        rows.append(_row("ingestion, 1 sample/report (samples/s)", one, ">= 0.6", met))
        many = ingestion(hearth.url, raw.url, agents[:20], 100, "copy")
        rows.append(_row("ingestion, 100 samples/report vs COPY (samples/s)", many, ">= 0.7",
                         many["ratio"] >= 0.7))  # fmt: skip
        for clients in (1, 8):
            for range_key in RANGES:
                result = chart(hearth.url, pk, cookie, range_key, clients)
                rows.append(_row(f"chart JSON {range_key}, {clients} client(s) (ms/request)",
                                 result, "<= 1.5", result["ratio"] <= 1.5))  # fmt: skip
    finally:
        hearth.stop()
        raw.stop()
    alert = alert_pass()
    rows.append(_row(f"alert pass, 1,000 events, {alert['queries']} queries (s)", alert,
                     "< 1 s", alert["hearth"] < 1.0, digits=3))  # fmt: skip
    rows += provisioning(databases)
    rows += warm_start()
    from django.conf import settings

    if settings.MAIL_DATABASE_URL:  # the stack's mail host (bench/mail_delivery.py)
        from bench import mail_delivery

        count = int(os.environ.get("BENCH_MAIL_MESSAGES", "1000"))
        mail = mail_delivery.measure(count)
        rows.append(_row(f"mail delivery, {count:,} messages, rspamd on vs off (s)", mail,
                         "<= 3", mail["ratio"] <= 3.0, digits=2))  # fmt: skip
    print()
    harness.print_table(rows)
    print(f"\ningestion p95 (Hearth, 1 sample/report, {AGENTS} agents): {one['p95'] * 1000:.0f} ms;"
          f" failed requests: {one['failed'] + many['failed']}")  # fmt: skip
    # Mail provisioning in a process of its own (its own bench database, no broker).
    print("\nmail provisioning (bench/mail_provision.py):", flush=True)
    subprocess.run([sys.executable, str(ROOT / "bench" / "mail_provision.py")], check=False)


def _row(measure: str, result: dict, goal: str, met: bool, digits: int = 1) -> dict:
    return {
        "measure": measure,
        "hearth": f"{result['hearth']:,.{digits}f}",
        "baseline": f"{result['baseline']:,.{digits}f}",
        "ratio": result["ratio"],
        "goal": goal,
        "met": met,
    }


if __name__ == "__main__":
    main()
