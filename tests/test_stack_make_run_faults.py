"""`make run` itself under faults (issue 16, item 1): the real web server, worker and beat
under the real supervisor, on a database and Redis of the test's own.

A worker killed like the OOM killer kills it (SIGKILL to its process group) and a killed web
server come back by themselves; the databases and the other children keep running; a
SIGTERM to `make run`'s process group then ends every process it started, none orphaned.
"""

from __future__ import annotations

import http.client
import os
import signal
import uuid

import psycopg
import pytest

from panel.stack.common import HOST, wait_until
from panel.stack.redis import redis_ping
from panel.stack.scratch import ScratchPanel

WAIT = 120.0
WEB = "gated_runserver"  # make run's development server (serves once migrated)


@pytest.fixture
def panel(tmp_path):
    started = ScratchPanel(tmp_path, f"test_run_{uuid.uuid4().hex[:8]}")
    try:
        started.start()
        yield started
    finally:
        started.destroy()


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _database_answers(panel: ScratchPanel) -> bool:
    with psycopg.connect(panel.db_env["DATABASE_URL"], connect_timeout=5) as conn:
        return conn.execute("SELECT 1").fetchone() == (1,)


def _replaced(panel: ScratchPanel, word: str, old: int) -> int | None:
    new = panel.group_of(word)
    return new if new not in (None, old) else None


def test_killed_children_come_back_and_sigterm_ends_everything(panel):
    worker, beat = panel.group_of("worker"), panel.group_of("beat")
    web = panel.group_of(WEB)
    assert None not in (worker, beat, web), panel.output()[-3000:]
    assert _healthy(panel.port)

    os.killpg(worker, signal.SIGKILL)  # as the OOM killer would
    assert wait_until(lambda: _replaced(panel, "worker", worker), WAIT), panel.output()[-3000:]
    assert "worker exited with code 137; restarting in" in panel.output()
    assert panel.group_of("beat") == beat and panel.group_of(WEB) == web
    assert _healthy(panel.port)  # the web server never went away
    assert redis_ping(panel.redis.port) and _database_answers(panel)  # nor the databases

    os.killpg(web, signal.SIGKILL)
    assert wait_until(lambda: _replaced(panel, WEB, web), WAIT)
    assert wait_until(lambda: _healthy(panel.port), WAIT), panel.output()[-3000:]
    assert panel.proc.poll() is None

    everything = panel.processes()
    assert len(everything) >= 4  # make run, web, worker, beat (and their children)
    os.killpg(panel.proc.pid, signal.SIGTERM)  # a SIGTERM to make run's process group
    assert panel.proc.wait(WAIT) == 0
    assert wait_until(lambda: not panel.processes(), WAIT), panel.processes()
