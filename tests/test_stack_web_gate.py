"""`make run` starts the development server beside the bootstrap: it sets Django up and
imports the URLconf at once, but binds its port only when the gate file exists (which
`make run` creates once the bootstrap has migrated the database)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from panel.management.commands.gated_runserver import WAITING
from panel.stack.common import ROOT, free_port, port_accepts, wait_until
from panel.stack.run import child_commands, web_env
from tests import stack_web
from tests.stack_web import WAIT, ask


def _gated_server(tmp_path: Path, name: str, gate: Path) -> tuple[int, subprocess.Popen, Path]:
    port, log_path = free_port(), tmp_path / f"{name}.log"
    env = {
        **os.environ,
        **web_env(True, {}),
        "HEARTH_DEV": "1",
        "DATABASE_URL": stack_web.test_database_url(),
        "PYTHONUNBUFFERED": "1",
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603 - argv list
            child_commands(True, port, env, gate)["web"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return port, proc, log_path


def _serves(port: int, proc: subprocess.Popen) -> bool:
    assert wait_until(lambda: port_accepts(port) or proc.poll() is not None, WAIT)
    return proc.poll() is None and ask(port, "GET", "/healthz")[0] == 200


@pytest.mark.django_db(transaction=True)
def test_the_development_server_serves_only_once_its_gate_opens(tmp_path):
    gate, open_gate = tmp_path / "migrated", tmp_path / "already-migrated"
    open_gate.touch()
    port, proc, log_path = _gated_server(tmp_path, "gated", gate)
    servers = [proc]
    try:
        assert wait_until(lambda: WAITING in log_path.read_text() or proc.poll() is not None, WAIT)
        assert proc.poll() is None, log_path.read_text()[-3000:]
        # The test's clock: the same server, started only now, with its gate open. By the
        # time it has set itself up and answers, the first would long have been serving.
        other_port, other, _log = _gated_server(tmp_path, "open", open_gate)
        servers.append(other)
        assert _serves(other_port, other)
        assert not port_accepts(port)  # set up long ago, and still not serving
        gate.touch()
        assert _serves(port, proc), log_path.read_text()[-3000:]
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(WAIT)
