"""What every bench shares: its own database, gunicorn on loopback, client load, pairing.

The benches write to a database of their own (`bench_<name>` on the server DATABASE_URL
names, recreated and migrated each run), never to the panel's. Hearth and its baseline are
measured in the same run, alternately (H B, B H, H B, ...), and each measure reports the
median of the per-round ratios: a machine that slows down mid-run slows both sides.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))


def bench_databases() -> dict[str, str]:
    """Create `bench_<name>` on DATABASE_URL's server, empty; return its environment.

    Made by the owner role (DATABASE_OWNER_URL, as migrations run), connected to at run time
    by the runtime role (DATABASE_URL), as the panel itself is.
    """
    runtime = os.environ.get("DATABASE_URL", "")
    if not runtime:
        sys.exit("set DATABASE_URL (make bench does)")
    owner = os.environ.get("DATABASE_OWNER_URL") or runtime
    name = "bench_" + urlsplit(runtime).path.lstrip("/")
    ident = psycopg.sql.Identifier(name)
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(ident))
        user = urlsplit(runtime).username
        if user and user != urlsplit(owner).username:
            conn.execute(psycopg.sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                ident, psycopg.sql.Identifier(user)))  # fmt: skip

    def renamed(url: str) -> str:
        return urlunsplit(urlsplit(url)._replace(path="/" + name))

    return {"DATABASE_URL": renamed(runtime), "DATABASE_OWNER_URL": renamed(owner)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn serving APP on a free loopback port with WORKERS sync workers."""

    def __init__(self, app: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", app, "-b", f"127.0.0.1:{self.port}",
             "-w", str(WORKERS), "--log-level", "warning"],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1).read()  # noqa: S310
                return
            except OSError as exc:
                if getattr(exc, "code", None) == 404:
                    return  # up, without a health page (the raw baseline)
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    sys.exit(f"gunicorn {app} did not start")
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)


def _client_process(work: Callable, jobs: list, seconds: float, results) -> None:
    counts = {"ok": 0, "failed": 0, "latencies": []}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def one(job) -> None:
        ok = failed = 0
        latencies = []
        state = {}
        while time.monotonic() < deadline:
            started = time.perf_counter()
            good = work(job, state)
            latencies.append(time.perf_counter() - started)
            ok, failed = ok + good, failed + (not good)
        with lock:
            counts["ok"] += ok
            counts["failed"] += failed
            counts["latencies"] += latencies

    threads = [threading.Thread(target=one, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(counts)


def drive(work: Callable, jobs: list, seconds: float, processes: int = 2) -> dict:
    """Run `work(job, state)` in a loop for each job (one thread each) for SECONDS.

    Returns requests per second, failures and the p95 latency.
    """
    results = multiprocessing.Queue()
    chunks = [jobs[i::processes] for i in range(processes)]
    procs = [
        multiprocessing.Process(target=_client_process, args=(work, c, seconds, results))
        for c in chunks
        if c
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    totals = [results.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for t in totals for x in t["latencies"])
    ok = sum(t["ok"] for t in totals)
    return {
        "rate": ok / elapsed,
        "failed": sum(t["failed"] for t in totals),
        "p95": latencies[int(len(latencies) * 0.95)] if latencies else 0.0,
    }


def paired(hearth: Callable[[int], float], baseline: Callable[[int], float], rounds: int = 3):
    """Alternate the two measurements; return (median Hearth, median baseline, median ratio).

    Each callable takes the round number (-1 for the warm-up) and returns one figure;
    the ratio is always hearth / baseline (the caller says which way is better).
    """
    hearth(-1), baseline(-1)  # warm-up (lazy imports, caches, connections): not counted
    h_values, b_values, ratios = [], [], []
    for n in range(rounds):
        if n % 2 == 0:
            h, b = hearth(n), baseline(n)
        else:
            b, h = baseline(n), hearth(n)
        h_values.append(h)
        b_values.append(b)
        ratios.append(h / b if b else float("inf"))
    return statistics.median(h_values), statistics.median(b_values), statistics.median(ratios)


def print_table(rows: list[dict]) -> None:
    header = ("measure", "Hearth", "baseline", "ratio", "goal", "met?")
    lines = [header] + [
        (r["measure"], r["hearth"], r["baseline"], f"{r['ratio']:.2f}", r["goal"],
         "yes" if r["met"] else "NO")
        for r in rows
    ]  # fmt: skip
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for index, line in enumerate(lines):
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) + " |")
        if index == 0:
            print("| " + " | ".join("-" * w for w in widths) + " |")
