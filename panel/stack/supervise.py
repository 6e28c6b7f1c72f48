"""Keep long-running children (web, worker, beat) up: restart a crashed one with backoff.

A child that exits is logged with its name and exit code and started again after a delay
that doubles from FIRST_DELAY up to MAX_DELAY; the delay resets once the child has stayed
up STABLE_AFTER seconds. Nothing else is touched when one child dies. `stop()` ends every
child's process group (SIGTERM, then SIGKILL after a timeout), so none is left behind.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from panel.stack.common import exit_code, say

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
STABLE_AFTER = 60.0
STOP_TIMEOUT = 15.0
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the supervisor itself dies (Linux)."""
    if sys.platform.startswith("linux"):
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    started: float = 0.0
    delay: float = FIRST_DELAY
    restart_at: float | None = None
    restarts: int = field(default=0)


class Supervisor:
    def __init__(
        self,
        commands: Mapping[str, Sequence[str]],
        env: Mapping[str, str],
        cwd: Path | str,
        *,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        stable_after: float = STABLE_AFTER,
        child_env: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.env, self.cwd = dict(env), cwd
        self.child_env = {name: dict(extra) for name, extra in (child_env or {}).items()}
        self.first_delay, self.max_delay, self.stable_after = first_delay, max_delay, stable_after
        self.children = {n: Child(n, list(a), delay=first_delay) for n, a in commands.items()}

    def start(self, names: Sequence[str] | None = None) -> None:
        """Start NAMES (default: every child) that have not been started yet."""
        for name, child in self.children.items():
            if child.proc is None and (names is None or name in names):
                self._spawn(child)

    def _spawn(self, child: Child) -> None:
        """Each child in its own session, so we (not the terminal) decide how it stops."""
        child.proc = subprocess.Popen(  # noqa: S603 - argv list
            child.argv,
            env={**self.env, **self.child_env.get(child.name, {})},
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only calls prctl
        )
        child.started, child.restart_at = time.monotonic(), None

    def pids(self) -> dict[str, int | None]:
        return {
            n: c.proc.pid if c.proc and c.restart_at is None else None
            for n, c in self.children.items()
        }

    def alive(self, name: str) -> bool:
        proc = self.children[name].proc
        return proc is not None and proc.poll() is None

    def tick(self) -> None:
        """Notice exited children, schedule their restart, start those that are due."""
        now = time.monotonic()
        for child in self.children.values():
            if (
                child.restart_at is None
                and child.proc is not None
                and child.proc.poll() is not None
            ):
                self._schedule(child, now)
            elif child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)

    def _schedule(self, child: Child, now: float) -> None:
        if now - child.started >= self.stable_after:
            child.delay = self.first_delay
        code = exit_code(child.proc.returncode)
        say(f"{child.name} exited with code {code}; restarting in {child.delay:g} s")
        child.restart_at = now + child.delay
        child.delay = min(child.delay * 2, self.max_delay)

    def run(self, interval: float = 0.2) -> None:
        """Supervise until KeyboardInterrupt (the caller maps SIGTERM to it)."""
        while True:
            self.tick()
            time.sleep(interval)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        procs = {c.name: c.proc for c in self.children.values() if c.proc is not None}
        for proc in procs.values():
            if proc.poll() is None:  # a reaped child's pid may belong to someone else now
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, proc in procs.items():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in time; killing it")
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # also any leftover grandchildren
            proc.wait()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run_until_stopped(supervisor: Supervisor) -> None:
    """start, supervise until Ctrl-C/SIGTERM, then stop every child (signals ignored meanwhile)."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        supervisor.start()
        supervisor.run()
    except KeyboardInterrupt:
        say("stopping ...")
    finally:
        quiet_signals()
        supervisor.stop()
        signal.signal(signal.SIGTERM, previous)


def quiet_signals() -> None:
    """A second Ctrl-C/SIGTERM must not cut cleanup short and leave children behind."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def main(argv: Sequence[str]) -> int:
    """`python -m panel.stack.supervise '{"name": [argv...]}' [first_delay]`: supervise those."""
    commands = json.loads(argv[0])
    first = float(argv[1]) if len(argv) > 1 else FIRST_DELAY
    run_until_stopped(Supervisor(commands, os.environ, os.getcwd(), first_delay=first))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
