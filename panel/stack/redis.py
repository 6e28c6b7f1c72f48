"""A throwaway Redis: 127.0.0.1 only, no persistence, daemonized with a pidfile."""

from __future__ import annotations

import re
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from panel.stack.common import HOST, StackError, free_port, pid_from_file, run, wait_until
from panel.stack.daemon import Daemon

CONF_NAME = "redis.conf"
START_ATTEMPTS = 3


def redis_server_bin() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if Path(p).exists()),
        None,
    )


def redis_available() -> bool:
    return redis_server_bin() is not None


def redis_ping(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer(Daemon):
    dir: Path
    port: int
    started: bool = False  # True if start_redis() started it (rather than found it running)
    host: str = HOST

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    @property
    def pidfile(self) -> Path:
        return self.dir / "redis.pid"

    @property
    def logfile(self) -> Path:
        return self.dir / "redis.log"

    def running_pid(self) -> int | None:
        return pid_from_file(self.pidfile, b"redis")

    def forget_pid(self) -> None:
        self.pidfile.unlink(missing_ok=True)

    def start(self) -> None:
        binary = redis_server_bin()
        if binary is None:
            raise StackError("redis-server not found")
        self.dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / CONF_NAME
        conf.write_text(
            "# Written by panel.stack on every start; edit panel/stack/redis.py instead.\n"
            f"bind {self.host}\nport {self.port}\nprotected-mode yes\n"
            f'daemonize yes\npidfile "{self.pidfile}"\nlogfile "{self.logfile}"\n'
            f'dir "{self.dir}"\nsave ""\nappendonly no\n'
        )
        self.pidfile.unlink(missing_ok=True)
        run([binary, conf])
        if not wait_until(lambda: self.is_running() and redis_ping(self.port), 15):
            raise StackError(f"redis did not come up on port {self.port}\n{self.log_tail()}")


def configured_port(directory: Path) -> int | None:
    try:
        match = re.search(r"^port (\d+)$", (directory / CONF_NAME).read_text(), re.M)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def start_redis(directory: Path, port: int | None = None) -> RedisServer:
    """Start a Redis in DIRECTORY (reused, `.started` False, if already running there)."""
    directory = directory.absolute()
    existing = RedisServer(directory, configured_port(directory) or 0)
    if existing.is_running() and redis_ping(existing.port):
        return existing
    attempts = 1 if port is not None else START_ATTEMPTS
    for attempt in range(attempts):
        server = RedisServer(directory, port if port is not None else free_port(), started=True)
        try:
            server.start()
            return server
        except StackError:
            if attempt == attempts - 1 or "Address already in use" not in server.log_tail():
                raise
    raise AssertionError("unreachable")
