"""`make run` with warm caches: seconds from the command to the panel's first answer.

Runs what `make run` runs once its files are built (`python -m panel.stack run`, on a free
port, output to var/bench-warm-start.log) until GET /healthz answers 200, then stops it
with SIGTERM as Ctrl-C would and waits until it has stopped everything. One warm-up run
(not counted: it may migrate, seed and compile), then --rounds counted runs.

The baseline is the least any start pays: the same services started by the same stack
code, and one Python process that sets Django up (`panel.stack exec -- python -c
"django.setup()"`), timed until that process says it is ready. What Hearth adds is the
bootstrap (migrate, first admin, demo data, default servers, in one process) and what of
the development server's start (beside the bootstrap, serving once migrated) it does not
hide. Both sides start the services from cold in every round: each stops what it started.

Run it while the stack's services are down (make bench does, before it starts them): with
them already up (another terminal's `make run` or `make test`), both sides reuse them.

    .venv/bin/python bench/warm_start.py --rounds 3 --json var/bench-warm-start.json
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from panel.stack.common import free_port  # noqa: E402

GOAL_SECONDS = 3.0
LOG = ROOT / "var" / "bench-warm-start.log"
READY = "bench: django ready"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
            return response.status == 200
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)


def hearth_start(timeout: float = 120) -> float:
    """Seconds from `panel.stack run` to the first 200 from /healthz."""
    port = free_port()
    env = {**os.environ, "HEARTH_PORT": str(port)}
    with LOG.open("a") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603 - argv list
            [sys.executable, "-m", "panel.stack", "run"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        try:
            while not _answers(f"http://127.0.0.1:{port}/healthz"):
                if proc.poll() is not None or time.perf_counter() - started > timeout:
                    sys.exit(f"make run did not answer (see {LOG})")
                time.sleep(0.02)
            return time.perf_counter() - started
        finally:
            _stop(proc)


def baseline_start(timeout: float = 120) -> float:
    """Seconds from `panel.stack exec` to a Django process being set up under it."""
    code = f"import django; django.setup(); print({READY!r}, flush=True)"
    argv = [sys.executable, "-m", "panel.stack", "exec", "--", sys.executable, "-c", code]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "panel.settings"}
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - argv list
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    ready = None
    try:
        for line in proc.stdout:
            if ready is None and line.strip() == READY:
                ready = time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                break
        # Read to the end: `exec` stops the services it started once its command exits
        # (a closed pipe or a signal meanwhile would leave them running for the next round).
        proc.wait(timeout=timeout)
    finally:
        proc.stdout.close()
        _stop(proc)
    if ready is None:
        sys.exit("the baseline process did not get ready")
    return ready


def measure(rounds: int) -> dict:
    LOG.parent.mkdir(exist_ok=True)
    LOG.write_text("")
    hearth_start(), baseline_start()  # warm-up: not counted
    hearth, baseline, ratios = [], [], []
    for n in range(rounds):  # alternately, as the other benches (H B, B H, ...)
        if n % 2 == 0:
            h, b = hearth_start(), baseline_start()
        else:
            b, h = baseline_start(), hearth_start()
        hearth.append(h)
        baseline.append(b)
        ratios.append(h / b)
    return {
        "hearth": statistics.median(hearth),
        "baseline": statistics.median(baseline),
        "ratio": statistics.median(ratios),
        "min": min(hearth),
        "max": max(hearth),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    result = measure(args.rounds)
    print(
        f"make run, warm: {result['hearth']:.2f} s to the first answer "
        f"(min {result['min']:.2f}, max {result['max']:.2f}); services + one django.setup(): "
        f"{result['baseline']:.2f} s; ratio {result['ratio']:.2f}; goal <= {GOAL_SECONDS:g} s"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
