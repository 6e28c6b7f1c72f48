"""What the stack's own servers share: starting them with a log, stopping them, and reading
the end of their log when they will not come up (pidfile and log helpers: common.py)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from panel.stack.common import HOST, log_tail, pid_from_file, port_accepts, terminate, wait_until


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


@dataclass
class MailDaemon(Daemon):
    """One of the mail host's servers (Postfix, Dovecot, rspamd): its folder, its loopback
    ports by name, its log `<name>.log` in the folder. A subclass sets `name`, `pidfile`, the
    marker its pidfile's process has in its command line, and the ports describe() names.

    The stack runs all three on HOST. In a container (deploy/mail/) each listens on every
    address (`bind="*"`), finds the others by name (`peers`: "postfix", "dovecot", "rspamd"),
    trusts its network (`networks`) and logs to the console."""

    dir: Path
    ports: dict[str, int] = field(default_factory=dict)
    started: bool = False
    host: str = HOST
    name: str = ""
    bind: str = ""  # the address to listen on ("*": all of them); default: host
    peers: dict[str, str] = field(default_factory=dict)  # the other servers' hosts; default: host
    networks: tuple[str, ...] = ("127.0.0.0/8",)  # the mail host's own clients (relay, milter)
    console: bool = False  # log to stdout/stderr instead of <name>.log
    pid_marker: ClassVar[bytes] = b""
    shown_ports: ClassVar[tuple[str, ...]] = ()

    @property
    def pidfile(self) -> Path:
        raise NotImplementedError

    @property
    def logfile(self) -> Path:
        return self.dir / f"{self.name}.log"

    def describe(self) -> str:
        first, *rest = self.shown_ports
        words = [f"{self.host}:{self.ports.get(first)} {first}"]
        words += [f":{self.ports.get(port)} {port}" for port in rest]
        return ", ".join(words)

    def running_pid(self) -> int | None:
        return pid_from_file(self.pidfile, self.pid_marker)

    @property
    def listen(self) -> str:
        return self.bind or self.host

    @property
    def listens_everywhere(self) -> bool:
        return self.listen == "*"

    def peer(self, name: str) -> str:
        """Where the server NAME (postfix, dovecot, rspamd) is reached from this one."""
        return self.peers.get(name, self.host)
