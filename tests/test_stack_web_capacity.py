"""The web server is sized to the machine and never opens more database connections than
its pool allows (issue 15.2). Real servers, started as `make run` starts them, under more
concurrent requests than they have connections; PostgreSQL counts the connections."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from panel import capacity
from panel.stack.common import HOST, ROOT, free_port, port_accepts, wait_until
from panel.stack.run import DEV_POOL_SIZE, child_commands, web_env

WAIT = 120.0
CLIENTS = 24
REQUESTS = 96


def test_workers_and_threads_follow_the_core_count(monkeypatch):
    monkeypatch.delenv("WEB_WORKERS", raising=False)
    monkeypatch.delenv("WEB_THREADS", raising=False)
    assert [capacity.web_workers(cores) for cores in (1, 2, 4, 16)] == [3, 5, 9, 9]
    assert capacity.web_threads() == capacity.THREADS_PER_WORKER
    monkeypatch.setenv("WEB_WORKERS", "7")
    monkeypatch.setenv("WEB_THREADS", "2")
    assert (capacity.web_workers(2), capacity.web_threads()) == (7, 2)
    monkeypatch.setenv("WEB_WORKERS", "0")
    with pytest.raises(ValueError, match="WEB_WORKERS must be at least 1"):
        capacity.web_workers(2)


def _connections(app_name: str) -> int:
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"],
        dbname=db["NAME"], autocommit=True,
    ) as conn:  # fmt: skip
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name]
        ).fetchone()[0]


def _url_of_test_database() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _serve(argv: list[str], extra: dict[str, str], tmp_path: Path, port: int):
    app_name = f"hearth-web-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        **extra,
        "DATABASE_URL": _url_of_test_database(),
        "PGAPPNAME": app_name,  # libpq names every connection the server opens
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / "web.log").open("w")
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    assert wait_until(lambda: port_accepts(port) or proc.poll() is not None, WAIT)
    assert proc.poll() is None, (tmp_path / "web.log").read_text()[-3000:]
    return proc, app_name


def _stop(proc) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(WAIT)


def _load(port: int, app_name: str) -> tuple[list[int], int]:
    """REQUESTS health checks from CLIENTS threads; the most connections seen meanwhile."""
    peak, done = [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _connections(app_name))

    def get(_: int) -> int:
        with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=60) as response:
            return response.status

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            statuses = list(pool.map(get, range(REQUESTS)))
    finally:
        done.set()
        watcher.join()
    return statuses, max(peak[0], _connections(app_name))


@pytest.mark.django_db(transaction=True)
def test_the_development_server_stays_within_its_pool(tmp_path):
    port = free_port()
    argv = child_commands(True, port, {})["web"]
    proc, app_name = _serve(argv, {"HEARTH_DEV": "1", **web_env(True, {})}, tmp_path, port)
    try:
        statuses, peak = _load(port, app_name)
    finally:
        _stop(proc)
    assert statuses == [200] * REQUESTS
    assert 1 <= peak <= int(DEV_POOL_SIZE) < CLIENTS


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()]


@pytest.mark.django_db(transaction=True)
def test_gunicorn_runs_workers_times_threads_with_one_pool_connection_per_thread(tmp_path):
    port = free_port()
    argv = child_commands(False, port, {})["web"]
    extra = {"HEARTH_DEV": "1", "DEBUG": "false", "WEB_WORKERS": "2", "WEB_THREADS": "3"}
    proc, app_name = _serve(argv, extra, tmp_path, port)
    try:
        assert wait_until(lambda: len(_children(proc.pid)) == 2, WAIT)
        statuses, peak = _load(port, app_name)
    finally:
        _stop(proc)
    assert statuses == [200] * REQUESTS
    assert 2 <= peak <= 2 * 3
