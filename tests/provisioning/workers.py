"""Real Celery worker processes for tests: started the way a deployment starts them (one
queue each), reading the test database, killed by process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(queue: str, *, app: str = "panel", **env: str) -> subprocess.Popen:
    """`celery -A APP worker -Q QUEUE` with per-server queues on; ENV adds variables."""
    environment = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "HEARTH_DEV": "true",
        "PROVISIONING_PER_SERVER_QUEUES": "true",
        **env,
    }
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        app,
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "-n",
        f"test-{uuid.uuid4().hex[:8]}@%h",
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
        "--loglevel=WARNING",
    ]
    return subprocess.Popen(argv, cwd=ROOT, env=environment, start_new_session=True)


def kill_worker(worker: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
    worker.wait(timeout=30)
