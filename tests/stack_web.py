"""The web server `make run` starts (the development server), as a real process on the test
database, with the environment a test gives it; and plain HTTP requests to it."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from panel.stack.common import HOST, ROOT, free_port, port_accepts, wait_until
from panel.stack.run import child_commands, web_env

WAIT = 120.0


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextmanager
def web_server(tmp_path: Path, **env: str) -> Iterator[int]:
    """Serve on a free port until the block ends; yields the port."""
    port = free_port()
    environment = {
        **os.environ,
        **web_env(True, {}),
        "HEARTH_DEV": "1",
        "DATABASE_URL": test_database_url(),
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    log_path = tmp_path / "web.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603 - argv list
            child_commands(True, port, environment)["web"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            assert wait_until(lambda: port_accepts(port) or proc.poll() is not None, WAIT)
            assert proc.poll() is None, log_path.read_text()[-3000:]
            yield port
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(WAIT)


def ask(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, dict, str]:
    """One request on its own connection: (status, headers, body as text)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return (
            response.status,
            dict(response.getheaders()),
            response.read().decode("utf-8", "replace"),
        )
    finally:
        connection.close()
