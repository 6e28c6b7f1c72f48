"""The supervisor behind `make run`: a crashed child comes back, SIGTERM ends them all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from panel.stack.common import ROOT, wait_until

WAIT = 60.0


def _child(pidfile: Path) -> list[str]:
    """A real process that records each pid it runs as, then idles."""
    code = (
        "import os, sys, time\n"
        "with open(sys.argv[1], 'a') as f: f.write(f'{os.getpid()}\\n')\n"
        "time.sleep(600)\n"
    )
    return [sys.executable, "-c", code, str(pidfile)]


def _pids(pidfile: Path) -> list[int]:
    return [int(x) for x in pidfile.read_text().split()] if pidfile.exists() else []


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone for our purposes
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def _start(tmp_path: Path) -> tuple[subprocess.Popen, dict[str, Path]]:
    files = {name: tmp_path / f"{name}.pids" for name in ("web", "worker", "beat")}
    commands = {name: _child(path) for name, path in files.items()}
    proc = subprocess.Popen(  # noqa: S603 - argv list
        [sys.executable, "-m", "panel.stack.supervise", json.dumps(commands), "0.2"],
        cwd=ROOT,
        start_new_session=True,
    )
    assert wait_until(lambda: all(_pids(p) for p in files.values()), WAIT)
    return proc, files


def test_killed_child_is_restarted_and_others_keep_running(tmp_path):
    proc, files = _start(tmp_path)
    try:
        worker = _pids(files["worker"])[0]
        web, beat = _pids(files["web"])[0], _pids(files["beat"])[0]
        os.kill(worker, signal.SIGKILL)
        assert wait_until(lambda: len(_pids(files["worker"])) == 2, WAIT)
        new_worker = _pids(files["worker"])[1]
        assert new_worker != worker and _running(new_worker)
        assert _running(web) and _running(beat)
        assert proc.poll() is None
        assert _pids(files["web"]) == [web] and _pids(files["beat"]) == [beat]
    finally:
        proc.terminate()
        proc.wait(WAIT)


def test_sigterm_stops_every_child(tmp_path):
    proc, files = _start(tmp_path)
    pids = [pid for path in files.values() for pid in _pids(path)]
    assert all(_running(pid) for pid in pids)
    os.killpg(proc.pid, signal.SIGTERM)  # as a SIGTERM to make run's process group
    assert proc.wait(WAIT) == 0
    assert wait_until(lambda: not any(_running(pid) for pid in pids), WAIT)


def test_restart_delay_doubles_up_to_the_cap_and_logs_name_and_code(capsys):
    from panel.stack.supervise import Supervisor

    crash = [sys.executable, "-c", "raise SystemExit(3)"]
    sup = Supervisor({"worker": crash}, os.environ, ROOT, first_delay=0.1, max_delay=0.4)
    sup.start()
    try:
        assert wait_until(lambda: sup.tick() or sup.children["worker"].restarts >= 4, WAIT, 0.02)
    finally:
        sup.stop()
    lines = [x for x in capsys.readouterr().out.splitlines() if "exited" in x]
    delays = [line.rsplit(" in ", 1)[1] for line in lines[:4]]
    assert delays == ["0.1 s", "0.2 s", "0.4 s", "0.4 s"]
    assert all(line.startswith("worker exited with code 3;") for line in lines)
