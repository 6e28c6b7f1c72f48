"""The image's HEALTHCHECK, for whichever process the container runs (its PID 1):

- gunicorn (`web`): GET /healthz on this container's port; healthy only on 200. It is sent
  with a Host the panel answers to (the first of ALLOWED_HOSTS), so production settings do
  not reject it.
- a Celery worker: the worker answers a ping addressed to it by name.
- Celery beat: its schedule file exists (beat writes it when it starts).
"""

from __future__ import annotations

import glob
import http.client
import os
import socket
import subprocess
import sys
from pathlib import Path

BEAT_SCHEDULE = "/tmp/celerybeat-schedule"  # noqa: S108 - the entrypoint's path, in the container


def pid1_argv() -> list[str]:
    try:
        return Path("/proc/1/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return []


def check_web() -> int:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
    connection = http.client.HTTPConnection("127.0.0.1", int(os.environ.get("PORT", "8000")), 4)
    try:
        connection.request("GET", "/healthz", headers={"Host": host})
        response = connection.getresponse()
        print(response.status, response.read(500).decode(errors="replace"))
        return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"healthz unreachable: {exc}")
        return 1
    finally:
        connection.close()


def check_worker(argv: list[str]) -> int:
    name = f"celery@{socket.gethostname()}"
    if "-n" in argv[:-1]:
        name = argv[argv.index("-n") + 1].replace("%h", socket.gethostname())
    ping = ["celery", "-A", "panel", "inspect", "ping", "-d", name, "--timeout", "5"]
    return subprocess.run(ping, check=False, timeout=25).returncode  # noqa: S603, S607


def check_beat() -> int:
    found = glob.glob(BEAT_SCHEDULE + "*")
    print("schedule:", found or "missing")
    return 0 if found else 1


def main() -> int:
    argv = pid1_argv()  # celery's, gunicorn's, or an init's that names the entrypoint's command
    if "beat" in argv:
        return check_beat()
    if "worker" in argv:
        return check_worker(argv)
    return check_web()


if __name__ == "__main__":
    sys.exit(main())
