"""Ingestion throughput of one panel node next to a raw bulk insert of the same rows.

Starts gunicorn on loopback against DATABASE_URL (migrated here), creates --servers servers
with agent keys, and runs that many simulated agents (threads across --processes processes,
each using the agent's own HTTP client) posting one-sample reports as fast as answers come
back, for --seconds. Then it reads back the rows that were stored, deletes them and COPYs
the very same rows in again, timed. Prints reports/s, COPY rows/s and their ratio.

    DATABASE_URL=postgres://... HEARTH_DEV=1 python bench/ingest.py --seconds 20
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "agent")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
os.environ.setdefault("HEARTH_DEV", "1")
os.environ.setdefault("DEBUG", "false")  # DEBUG keeps every query in memory: not production-like
os.environ.setdefault("LOG_LEVEL", "WARNING")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_sample(ts: float) -> dict:
    return {
        "ts": ts,
        "cpu": {"percent": 12.5, "per_core": [10.0, 15.0], "load": [0.5, 0.4, 0.3]},
        "memory": {
            "total": 4 << 30,
            "used": 2 << 30,
            "available": 2 << 30,
            "swap_total": 1 << 30,
            "swap_used": 0,
        },
        "disk": {
            "filesystems": [{"mount": "/", "total": 100 << 30, "used": 40 << 30, "percent": 40.0}],
            "read_bps": 1000.0,
            "write_bps": 2000.0,
        },
        "network": {
            "interfaces": [
                {
                    "name": "eth0",
                    "rx_bps": 5e3,
                    "tx_bps": 4e3,
                    "rx_pps": 20.0,
                    "tx_pps": 18.0,
                    "errors_in": 0,
                    "errors_out": 0,
                }
            ]
        },
    }


def run_agents(url: str, agents: list[tuple[int, str]], seconds: float, results) -> None:
    from hearth_agent.transport import Transport

    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    base = time.time() - 86400  # unique timestamps, well inside the accepted window

    def agent(server: int, key: str) -> None:
        transport, n, ok, failed = Transport(url, 10), 0, 0, 0
        while time.monotonic() < deadline:
            n += 1
            payload = {"server": server, "interval": 10, "samples": [one_sample(base + n * 0.001)]}
            if transport.post("/metrics", payload, key=key).ok:
                ok += 1
            else:
                failed += 1
        with lock:
            counts["ok"] += ok
            counts["failed"] += failed

    threads = [threading.Thread(target=agent, args=a) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(counts)


def setup_servers(count: int) -> list[tuple[int, str]]:
    from monitoring import services
    from provisioning.servers.models import Server

    Server.objects.filter(name__startswith="bench-").delete()
    agents = []
    for n in range(count):
        server = Server.objects.create(name=f"bench-{n}", address="127.0.0.1")
        _, token = services.create_enrolment_token(server, actor=None)
        _, key = services.register_agent(token, hostname=server.name)
        agents.append((server.pk, key))
    return agents


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "panel.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("gunicorn did not start")


def run_clients(url: str, agents: list, args) -> tuple[list[dict], float]:
    """The simulated agents, spread over client processes; returns their counts and the time."""
    results = multiprocessing.Queue()
    chunks = [agents[i :: args.processes] for i in range(args.processes)]
    procs = [
        multiprocessing.Process(target=run_agents, args=(url, c, args.seconds, results))
        for c in chunks
        if c
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    totals = [results.get() for _ in procs]
    for p in procs:
        p.join()
    return totals, time.perf_counter() - started


def copy_rate(server_ids: list[int]) -> tuple[int, float]:
    """Read back the stored rows, delete them, COPY them in again (timed)."""
    from django.db import transaction

    from monitoring import storage
    from monitoring.models import SAMPLE_COLUMNS, Sample

    fields = ["server_id", "ts", *SAMPLE_COLUMNS, "detail"]
    rows = list(Sample.objects.filter(server_id__in=server_ids).values(*fields))
    Sample.objects.filter(server_id__in=server_ids).delete()
    started = time.perf_counter()
    with transaction.atomic():
        storage.copy_samples(rows)
    return len(rows), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=200, help="simulated agents (servers)")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL to a PostgreSQL database the benchmark may write to")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    agents = setup_servers(args.servers)
    port = free_port()
    gunicorn = start_gunicorn(port, args.workers)
    try:
        totals, elapsed = run_clients(f"http://127.0.0.1:{port}", agents, args)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
    ok = sum(t["ok"] for t in totals)
    failed = sum(t["failed"] for t in totals)
    rows, copy_seconds = copy_rate([server for server, _ in agents])
    from provisioning.servers.models import Server

    Server.objects.filter(name__startswith="bench-").delete()
    ingest_rate, copy_rows_rate = ok / elapsed, rows / copy_seconds
    print(
        f"{args.servers} agents in {args.processes} processes, gunicorn {args.workers} sync "
        f"workers, {os.cpu_count()} CPUs, {elapsed:.1f} s"
    )
    print(
        f"ingestion: {ok} reports accepted ({failed} failed): {ingest_rate:,.0f} reports/s "
        f"(1 sample each)"
    )
    print(f"raw COPY of the same {rows} rows: {copy_seconds:.3f} s, {copy_rows_rate:,.0f} rows/s")
    print(
        f"ratio ingestion/COPY: {ingest_rate / copy_rows_rate:.4f} "
        f"(COPY is {copy_rows_rate / ingest_rate:,.0f}x faster per row)"
    )


if __name__ == "__main__":
    main()
