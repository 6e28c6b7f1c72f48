"""Security test helpers: the loopback SMTP fixture, TOTP codes, logins."""

from __future__ import annotations

import hashlib
import hmac
import re
import struct
import time
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from tests.mail import Inbox, outbox_inline, send_django_mail_to, start_smtp


@pytest.fixture(scope="session")
def smtp_server():
    controller, inbox = start_smtp()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server, settings) -> Inbox:
    controller, inbox = smtp_server
    send_django_mail_to(settings, controller.port)
    inbox.clear()
    with outbox_inline():
        yield inbox


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
