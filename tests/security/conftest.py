"""A real SMTP server on loopback (aiosmtpd in a thread) and helpers to read what it got."""

from __future__ import annotations

import email
import hashlib
import hmac
import re
import socket
import struct
import threading
import time
from email import policy
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from tests.conftest import PASSWORD


class _Collector:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    collector = _Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, collector
    controller.stop()


class Mailbox:
    def __init__(self, collector):
        self.collector = collector

    @property
    def messages(self):
        return list(self.collector.messages)

    def wait_for(self, to: str, timeout: float = 10):
        """The newest message to `to` (delivery is synchronous; the wait is a safety net)."""
        deadline = time.monotonic() + timeout
        with self.collector.arrived:
            while True:
                found = [m for m in self.collector.messages if to in m["To"]]
                if found:
                    return found[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no email to {to} arrived")
                self.collector.arrived.wait(remaining)


@pytest.fixture
def mailbox(smtp_server, settings):
    controller, collector = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    collector.messages.clear()
    return Mailbox(collector)


def parts(message) -> tuple[str, str]:
    """(plain text, html) bodies of a delivered message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def link_path(message) -> str:
    """The path of the single panel link in the plain-text part."""
    text, _ = parts(message)
    urls = re.findall(r"https?://\S+", text)
    links = [u for u in urls if "/security/" in u]
    assert len(links) == 1, urls
    return urlsplit(links[0]).path


def code_at(key: bytes, at: float, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (HMAC-SHA-1, 30 s), computed here independently of the panel's verifier."""
    counter = struct.pack(">Q", int(at // step))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    binary = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{binary % (10**digits):0{digits}d}"


def code_for(device, offset_steps: int = 0) -> str:
    """The code of `device` now, or `offset_steps` time steps away."""
    return code_at(device.bin_key, time.time() + offset_steps * device.step, device.step)


@pytest.fixture
def anon():
    return Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")


def password_login(client, email: str, password: str = PASSWORD):
    return client.post("/login/", {"username": email, "password": password})
