"""A create request while the broker is unreachable answers at once; the job waits in the
outbox (its row, pending) and is dispatched when a broker is reachable (issue 16.4).

The requests run in a process of their own whose REDIS_URL points at a broker that takes
connections and drops them (counted): sending gives up after a bounded number of
attempts (BROKER_CONNECT_TIMEOUT), where celery's defaults kept one request retrying for
~19 s (20 result-store reconnects).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading

import pytest
from django.core.management import call_command

from panel.stack.common import HOST, ROOT
from provisioning.engine.choices import JobState, ResourceState
from provisioning.engine.dispatch import dispatch_stale
from provisioning.models import Database, ProvisioningJob
from tests import dbserver
from tests.provisioning.conftest import wait_for

MAX_ATTEMPTS_PER_REQUEST = 4


class DroppingBroker:
    """Accepts TCP connections and closes them at once, counting them."""

    def __init__(self) -> None:
        self.sock = socket.create_server((HOST, 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def broker():
    dropping = DroppingBroker()
    yield dropping
    dropping.close()


def _create_with_broker_down(user_id: int, names: list[str], port: int) -> list[int]:
    env = {
        **os.environ,
        "REDIS_URL": f"redis://{HOST}:{port}/0",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": _test_database_url(),
    }
    out = subprocess.run(
        [sys.executable, "-m", "tests.stack_create_request", str(user_id), *names],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _test_database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_creating_while_the_broker_is_down_answers_and_the_job_waits_in_the_outbox(
    alice_account, broker, celery_worker
):
    call_command("ensure_default_db_server")
    names = ["outage1", "outage2"]
    statuses = _create_with_broker_down(alice_account.owner.pk, names, broker.port)

    assert statuses == [201, 201]  # the password page: the request finished normally
    assert broker.accepted <= MAX_ATTEMPTS_PER_REQUEST * len(names)
    jobs = ProvisioningJob.objects.filter(account=alice_account)
    assert [job.state for job in jobs] == [JobState.PENDING] * 2
    assert all(job.attempts == 0 for job in jobs)

    assert dispatch_stale(grace_seconds=0)["sent"] == 2  # a broker is reachable again
    full = [f"alice_{name}" for name in names]
    wait_for(
        lambda: (
            set(
                Database.objects.filter(name__in=full, state=ResourceState.ACTIVE).values_list(
                    "name", flat=True
                )
            )
            == set(full)
        ),
        timeout=60,
    )
    dbserver.drop(full, full)
