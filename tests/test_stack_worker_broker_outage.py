"""A Redis outage with a task in flight does not end the worker (issue 16.2).

celery/kombu 5.7.0 stopped the worker with "Unrecoverable error: AttributeError('NoneType'
object has no attribute 'hostname')" when the broker went away while a message was
unacknowledged; panel/worker_consumer.py keeps it alive. The worker here is a real process
started as `make run` starts it, against a Redis of the test's own (the stack's stays up).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from celery import Celery

from panel.stack import start_redis
from panel.stack.common import ROOT, wait_until
from panel.stack.redis import RedisServer
from panel.stack.run import child_commands

OUTAGE_SECONDS = 30
WAIT = 90.0


@pytest.fixture
def redis(tmp_path):
    server = start_redis(tmp_path / "redis")
    yield server
    RedisServer(server.dir, server.port).destroy()


@pytest.fixture
def worker(redis, tmp_path):
    env = {**os.environ, "REDIS_URL": redis.url(0), "HEARTH_DEV": "1", "PYTHONUNBUFFERED": "1"}
    argv = [*child_commands(True, 8000, env)["worker"], "-c", "2", "-I", "tests.stack_tasks"]
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    yield proc
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(WAIT)
    log.close()


def _client(redis) -> Celery:
    return Celery("outage-test", broker=redis.url(0), backend=redis.url(0))


def test_the_same_worker_consumes_again_after_redis_was_down(redis, worker, tmp_path):
    client = _client(redis)
    assert client.send_task("panel.ping", args=["before"]).get(timeout=WAIT) == "pong:before"
    marker = str(tmp_path / "held")
    client.send_task("tests.stack.hold", args=[marker, OUTAGE_SECONDS + 5])
    assert wait_until(lambda: os.path.exists(f"{marker}.started"), WAIT)

    redis.stop()  # the task runs on through the outage, its message unacknowledged
    time.sleep(OUTAGE_SECONDS)
    RedisServer(redis.dir, redis.port, started=True).start()

    assert worker.poll() is None  # the same process, nobody restarted it
    client = _client(redis)
    assert client.send_task("panel.ping", args=["after"]).get(timeout=WAIT) == "pong:after"
    assert wait_until(lambda: os.path.exists(f"{marker}.done"), WAIT)
    log = (tmp_path / "worker.log").read_text()
    assert "Connection to broker lost" in log
    assert "Unrecoverable error" not in log
