"""What the stack's own servers share: starting them with a log, stopping them, and reading
the end of their log when they will not come up (pidfile and log helpers: common.py)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from panel.stack.common import log_tail, port_accepts, terminate, wait_until


def spawn_until_listening(argv: Sequence[str], logfile: Path, ports: Sequence[int]):
    """Start ARGV in the foreground of its own session, output appended to LOGFILE; wait up
    to 30 s for every port to accept. Returns (process, True once listening; False if it
    exited or never listened)."""
    with logfile.open("ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - argv list, no shell
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    up = wait_until(
        lambda: proc.poll() is not None or all(port_accepts(port) for port in ports), 30, 0.1
    )
    return proc, up and proc.poll() is None


class Daemon:
    """Mixed into a server's dataclass, which has `dir`, `logfile` and `running_pid()`."""

    dir: Path
    logfile: Path

    def running_pid(self) -> int | None:
        raise NotImplementedError

    def forget_pid(self) -> None:
        """Called after a stop: drop whatever recorded the pid."""

    def is_running(self) -> bool:
        return self.running_pid() is not None

    def stop(self) -> None:
        """SIGTERM (SIGKILL if it lingers); a no-op when not running."""
        pid = self.running_pid()
        if pid is not None:
            terminate(pid)
        self.forget_pid()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        return log_tail(self.logfile, lines)
