"""Shared helpers: paths, ports, processes, the unprivileged service user, system packages."""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
VAR = ROOT / "var"
HOST = "127.0.0.1"
FALLBACK_USER = "hearth"  # created (useradd --system) when root and there is no `postgres`
SERVICE_USERS = ("postgres", FALLBACK_USER)
TMP_BASE = Path("/var/tmp")  # noqa: S108 - a fixed, documented fallback location


class StackError(Exception):
    """A problem the user can act on; the CLI prints it and exits non-zero."""


def say(message: str) -> None:
    print(message, flush=True)


def rel(path: Path) -> str:
    """PATH relative to the project root when inside it (for short messages)."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


# --- ports -------------------------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    """A TCP port on HOST that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_accepts(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# --- processes ---------------------------------------------------------------------------


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    check: bool = True,
    capture: bool = True,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ARGV (never through a shell); on failure raise StackError with its output."""
    args = [str(arg) for arg in argv]
    proc = subprocess.run(  # noqa: S603 - argv list, no shell
        args,
        cwd=cwd,
        env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        text=True,
        start_new_session=True,  # keep terminal Ctrl-C away from daemons it starts
        check=False,
    )
    if check and proc.returncode != 0:
        output = (proc.stdout or "").strip()
        raise StackError(f"{' '.join(args)} failed (exit {proc.returncode})\n{output}")
    return proc


def psql(
    binary: str | os.PathLike[str],
    host: str,
    port: int,
    user: str,
    password: str,
    dbname: str,
    *args: str,
) -> str:
    """Run psql quietly (unaligned, tuples only, stop on the first error); its output."""
    argv = [binary, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"]
    argv += ["-h", host, "-p", str(port), "-U", user, "-d", dbname, *args]
    env = {**os.environ, "PGPASSWORD": password} if password else None
    return run(argv, env=env).stdout.strip()


def pid_exists(pid: int) -> bool:
    """True if PID exists at all, zombies included."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_alive(pid: int) -> bool:
    """True if PID runs and is not a zombie."""
    if not pid_exists(pid):
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def terminate(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM PID, wait for it, SIGKILL if it lingers."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not wait_until(lambda: not pid_alive(pid), timeout):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        wait_until(lambda: not pid_alive(pid), 5.0)


def exit_code(returncode: int) -> int:
    """A shell-style exit code (128+N for a child killed by signal N)."""
    return 128 - returncode if returncode < 0 else returncode


# --- running daemons as an unprivileged user when we are root ----------------------------


def is_root() -> bool:
    return os.geteuid() == 0


def service_user() -> str | None:
    """Who runs PostgreSQL: None (ourselves) unless root; then `postgres`, else `hearth`."""
    if not is_root():
        return None
    for name in SERVICE_USERS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    user = SERVICE_USERS[-1]
    say(f"creating system user {user!r} to run PostgreSQL (it refuses to run as root)")
    run(
        [
            tool("useradd"),
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            user,
        ]
    )
    return user


def as_user(argv: Sequence[str | os.PathLike[str]], user: str | None) -> list[str]:
    args = [str(arg) for arg in argv]
    return args if user is None else [tool("runuser"), "-u", user, "--", *args]


def give_to(path: Path, user: str | None) -> None:
    """chown PATH to USER (and USER's group); no-op when USER is None."""
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def user_can_use(user: str | None, path: Path) -> bool:
    """Can USER reach and write the directory PATH (every parent traversable)?"""
    if user is None:
        return os.access(path, os.W_OK | os.X_OK)
    test = shutil.which("test") or "/usr/bin/test"
    return run(as_user([test, "-w", path, "-a", "-x", path], user), check=False).returncode == 0


def fallback_dir(key: str, name: str) -> Path:
    """TMP_BASE/hearth-<hash of KEY>/NAME, for data dirs the service user cannot reach."""
    return TMP_BASE / f"hearth-{short_hash(key)}" / name


# --- system binaries ---------------------------------------------------------------------


def tool(name: str) -> str:
    """Absolute path of a system tool (also looks in the sbin dirs, often not on PATH)."""
    extra = os.pathsep.join(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
    found = shutil.which(name, path=os.environ.get("PATH", "") + os.pathsep + extra)
    if found is None:
        raise StackError(f"{name} not found")
    return found


def install_packages(packages: Sequence[str]) -> None:
    """apt-get install PACKAGES when root; otherwise say what to install and fail."""
    names = " ".join(packages)
    if not is_root() or shutil.which("apt-get") is None:
        raise StackError(
            f"missing system packages: {names}\n"
            f"install them with: sudo apt-get install -y --no-install-recommends {names}"
        )
    say(f"installing system packages: {names}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = tool("apt-get")
    run([apt, "update", "-qq"], capture=False, env=env)
    run([apt, "install", "-y", "-qq", "--no-install-recommends", *packages], capture=False, env=env)


def python() -> str:
    return sys.executable


def pid_from_file(pidfile: Path, marker: bytes) -> int | None:
    """The pid in PIDFILE if that process is alive and its command line contains MARKER."""
    try:
        pid = int(pidfile.read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    return pid if marker in cmdline and pid_alive(pid) else None


def log_tail(logfile: Path, lines: int = 20) -> str:
    try:
        return "\n".join(logfile.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
