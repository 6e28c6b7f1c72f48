"""Agent footprint next to prometheus-node-exporter, measured the same way in the same run.

Both run for --duration seconds: the agent collecting (and sending) every second to a tiny
HTTP sink in this process, node_exporter on loopback scraped every second by this process.
Reported per process: CPU time (utime + stime from /proc/<pid>/stat) and peak RSS (VmHWM).

    python bench/agent_footprint.py --duration 600
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")


class Sink(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Sink.received += len(json.loads(body)["samples"])
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_agent(sink_port: int, workdir: Path, send_interval: float) -> subprocess.Popen:
    credentials = workdir / "credentials.json"
    credentials.write_text(
        json.dumps({"url": f"http://127.0.0.1:{sink_port}", "server": 1, "key": "bench"})
    )
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT / "agent"),
        HEARTH_AGENT_CONFIG=str(workdir / "none.conf"),
        HEARTH_AGENT_INTERVAL="1",
        HEARTH_AGENT_SEND_INTERVAL=str(send_interval),
        HEARTH_AGENT_BUFFER_DIR=str(workdir / "buffer"),
        HEARTH_AGENT_CREDENTIALS=str(credentials),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "hearth_agent", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_node_exporter(port: int) -> subprocess.Popen:
    binary = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
    if binary is None:
        sys.exit(
            "prometheus-node-exporter is not installed (Debian package prometheus-node-exporter)"
        )
    return subprocess.Popen(
        [binary, f"--web.listen-address=127.0.0.1:{port}", "--no-collector.systemd"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def scrape_every_second(port: int, stop: threading.Event, counter: list[int]) -> None:
    while not stop.wait(1.0):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                r.read()
            counter[0] += 1
        except OSError:
            pass


def measure(args) -> dict:
    sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    workdir = Path(tempfile.mkdtemp(prefix="hearth-bench-"))
    ne_port, stop, scrapes = free_port(), threading.Event(), [0]
    agent = start_agent(sink.server_address[1], workdir, args.send_interval)
    exporter = start_node_exporter(ne_port)
    threading.Thread(target=scrape_every_second, args=(ne_port, stop, scrapes), daemon=True).start()
    try:
        time.sleep(args.warmup)
        warm = {"agent": cpu_seconds(agent.pid), "node_exporter": cpu_seconds(exporter.pid)}
        time.sleep(args.duration - args.warmup)
        result = {}
        for name, proc in (("agent", agent), ("node_exporter", exporter)):
            total = cpu_seconds(proc.pid)
            result[name] = {
                "cpu": total,
                "steady": total - warm[name],
                "rss": peak_rss_mb(proc.pid),
            }
    finally:
        stop.set()
        for proc in (agent, exporter):
            proc.terminate()
            proc.wait(timeout=30)
        sink.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    result["samples"], result["scrapes"] = Sink.received, scrapes[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds (default 600)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds excluded from 'steady'")
    parser.add_argument(
        "--send-interval",
        type=float,
        default=1,
        help="agent send interval (default 1: one request per sample)",
    )
    args = parser.parse_args()
    r = measure(args)
    minutes = args.duration / 60
    print(
        f"duration {args.duration:.0f} s, agent interval 1 s, send interval {args.send_interval} s;"
        f" agent samples received {r['samples']}, node_exporter scrapes {r['scrapes']}"
    )
    header = ("process", "CPU s total", "CPU s/min", "steady s/min", "peak RSS MB")
    print(f"{header[0]:<15}{header[1]:>12}{header[2]:>11}{header[3]:>14}{header[4]:>13}")
    for name in ("agent", "node_exporter"):
        m = r[name]
        print(
            f"{name:<15}{m['cpu']:>12.2f}{m['cpu'] / minutes:>11.3f}"
            f"{m['steady'] / (minutes - args.warmup / 60):>14.3f}{m['rss']:>13.1f}"
        )
    a, n = r["agent"], r["node_exporter"]
    cpu_ratio, rss_ratio = a["cpu"] / n["cpu"], a["rss"] / n["rss"]
    print(f"ratio agent/node_exporter: CPU {cpu_ratio:.2f}, peak RSS {rss_ratio:.2f}")


if __name__ == "__main__":
    main()
