"""Monitoring fixtures: servers, agent keys, report payloads, a real SMTP server on loopback."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from monitoring import alerts, services
from monitoring.alerts import OPEN_COUNT_KEY
from panel.stack import free_port
from provisioning.servers.models import Server
from tests.mail import send_django_mail_to, start_smtp


@pytest.fixture(autouse=True)
def _default_rules(request):
    """The seeded rules: a transactional test's flush empties the table, so recreate them."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    if marker is None:
        request.getfixturevalue("db")
    alerts.ensure_default_rules()


@pytest.fixture(autouse=True)
def _fresh_alert_count():
    cache.delete(OPEN_COUNT_KEY)
    yield
    cache.delete(OPEN_COUNT_KEY)


def make_server(name: str = "web1") -> Server:
    return Server.objects.create(name=name, address=f"{name}.example.test", roles=["web"])


def make_key(server: Server) -> str:
    """Register an agent for `server` through the real enrolment path; return its key."""
    _, token = services.create_enrolment_token(server, actor=None)
    _, key = services.register_agent(token, hostname=server.name)
    return key


@pytest.fixture
def server(db):
    return make_server()


@pytest.fixture
def agent_key(server):
    return make_key(server)


def sample(
    ts: float,
    *,
    cpu: float | None = 12.5,
    mem_used: int = 2_000_000_000,
    disk: float = 40.0,
    rx: float | None = 1000.0,
) -> dict:
    return {
        "ts": ts,
        "cpu": {
            "percent": cpu,
            "per_core": None if cpu is None else [cpu, cpu],
            "load": [0.5, 0.4, 0.3],
        },
        "memory": {
            "total": 4_000_000_000,
            "used": mem_used,
            "available": 4_000_000_000 - mem_used,
            "swap_total": 1_000_000_000,
            "swap_used": 0,
        },
        "disk": {
            "filesystems": [{"mount": "/", "total": 100, "used": int(disk), "percent": disk}],
            "read_bps": 10.0,
            "write_bps": 20.0,
        },
        "network": {
            "interfaces": [
                {
                    "name": "eth0",
                    "rx_bps": rx,
                    "tx_bps": rx,
                    "rx_pps": 1.0,
                    "tx_pps": 1.0,
                    "errors_in": 0,
                    "errors_out": 0,
                }
            ]
        },
    }


def report(server: Server, timestamps, **kwargs) -> dict:
    return {
        "server": server.pk,
        "interval": 10,
        "agent_version": "test",
        "samples": [sample(ts, **kwargs) for ts in timestamps],
    }


def now_ts(offset_seconds: float = 0) -> float:
    return (timezone.now() + timedelta(seconds=offset_seconds)).timestamp()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's SMTP backend delivers to it."""
    controller, inbox = start_smtp()
    send_django_mail_to(settings, controller.port)
    yield inbox
    controller.stop()


class Forwarder:
    """A TCP port that forwards to the live panel and can be switched off ('panel down')."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            time.sleep(0.05)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, dest: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                dest.sendall(data)
            dest.shutdown(socket.SHUT_WR)
        except OSError:
            pass
