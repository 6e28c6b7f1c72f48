"""Helpers for tests that use the stack's mail host (Postfix + Dovecot + rspamd).

    from tests.mailstack import mail_server, send, imap_login, wait_for_message

`mail_server` (fixture): the `local-mail` Server row registered by ensure_default_mail_server.
`send(...)` speaks SMTP to Postfix (port 25-style inbound by default, `port=SUBMISSION` with a
login), `imap_login` / `wait_for_message` read a mailbox over IMAP. Addresses made by
`unique_domain()` never collide between tests (the mail database is outside the test
transaction: remove what you make, or use the `mail_domain` fixture which does).
"""

from __future__ import annotations

import imaplib
import json
import secrets
import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from provisioning.mail.backend import KEYS_HASH, SELECTORS_HASH, MailBackend
from provisioning.mail.passwords import hash_password
from provisioning.servers.models import Server

HOST = settings.MAIL_HOST or "127.0.0.1"
SMTP = settings.MAIL_SMTP_PORT
SUBMISSION = settings.MAIL_SUBMISSION_PORT
IMAP = settings.MAIL_IMAP_PORT
WAIT_SECONDS = 20.0


def unique_domain(prefix: str = "m") -> str:
    return f"{prefix}{secrets.token_hex(4)}.hearth-mail.test"


def message(sender: str, to: str, subject: str, body: str = "hello\n", **headers) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = f"<{secrets.token_hex(8)}@hearth.test>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def send(
    sender: str,
    to: str | list[str],
    msg: EmailMessage | bytes | str,
    *,
    port: int = SMTP,
    login: tuple[str, str] | None = None,
) -> dict:
    """Send MSG over SMTP; smtplib's refused-recipients dict (raises on a refused message)."""
    with smtplib.SMTP(HOST, port, timeout=30) as client:
        client.ehlo("client.hearth.test")
        if login is not None:
            client.login(*login)
        payload = msg.as_bytes() if isinstance(msg, EmailMessage) else msg
        return client.sendmail(sender, to, payload)


def imap_login(address: str, password: str) -> imaplib.IMAP4:
    """A logged-in IMAP connection (raises imaplib.IMAP4.error when refused)."""
    client = imaplib.IMAP4(HOST, IMAP, timeout=30)
    try:
        client.login(address, password)
    except Exception:
        client.shutdown()
        raise
    return client


def fetch_messages(address: str, password: str, folder: str = "INBOX") -> list[bytes]:
    client = imap_login(address, password)
    try:
        client.select(folder, readonly=True)
        _, data = client.search(None, "ALL")
        found = []
        for num in data[0].split():
            _, parts = client.fetch(num, "(RFC822)")
            found.append(parts[0][1])
        return found
    finally:
        client.logout()


def wait_for_message(
    address: str, password: str, subject: str, timeout: float = WAIT_SECONDS
) -> bytes:
    """The raw message with SUBJECT in ADDRESS's inbox, waiting for delivery."""
    deadline = time.monotonic() + timeout
    while True:
        for raw in fetch_messages(address, password):
            if f"Subject: {subject}".encode() in raw:
                return raw
        if time.monotonic() > deadline:
            raise AssertionError(f"no message {subject!r} for {address} in {timeout} s")
        time.sleep(0.1)


def postfix_queue() -> list[dict]:
    """What the stack's Postfix holds in its queue (`postqueue -j`, one dict per message)."""
    from panel.stack.postfix import PostfixServer

    return PostfixServer(Path(settings.MAIL_POSTFIX_DIR)).queue()


def queued_for(recipient: str, timeout: float = WAIT_SECONDS) -> list[dict]:
    """Queue entries with RECIPIENT among their recipients, waiting until there is one."""
    deadline = time.monotonic() + timeout
    while True:
        entries = [
            entry
            for entry in postfix_queue()
            if any(r.get("address") == recipient for r in entry.get("recipients", []))
        ]
        if entries or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)


def mail_database_rows(domain: str) -> dict[str, int]:
    """How many rows of DOMAIN each table of the mail database holds, counted as the
    cluster's superuser (so the answer does not depend on the writer role)."""
    from psycopg import sql

    from panel.stack.maildb import DB_NAME
    from panel.stack.services import load_state

    url = f"postgres://postgres@127.0.0.1:{load_state()['postgres']['port']}/{DB_NAME}"
    counts = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table, column in (
            ("domains", "name"),
            ("mailboxes", "domain"),
            ("aliases", "domain"),
            ("dkim_keys", "domain"),
        ):
            query = sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(
                sql.Identifier(table), sql.Identifier(column)
            )
            counts[table] = conn.execute(query, (domain,)).fetchone()[0]
    return counts


def dkim_store(domain: str, url: str | None = None) -> tuple[set[str], str | None]:
    """What rspamd reads for DOMAIN from the DKIM key store (the stack's, unless URL):
    (the selectors it holds a key of, the selector it signs with)."""
    client = redis.Redis.from_url(url or settings.MAIL_DKIM_REDIS_URL, socket_timeout=5)
    try:
        suffix = f".{domain}"
        fields = (key.decode() for key in client.hkeys(KEYS_HASH))
        selectors = {f.removesuffix(suffix) for f in fields if f.endswith(suffix)}
        signing = client.hget(SELECTORS_HASH, domain)
    finally:
        client.close()
    return selectors, signing.decode() if signing is not None else None


def dump(value) -> str:
    return json.dumps(value, indent=1, default=str)


@pytest.fixture
def mail_server(db) -> Server:
    """The stack's mail host, registered as ensure_default_mail_server does at bootstrap."""
    if not settings.MAIL_DATABASE_URL:
        pytest.fail("the stack's mail host is not running (MAIL_DATABASE_URL is unset)")
    call_command("ensure_default_mail_server", verbosity=0)
    return Server.objects.get(name="local-mail")


@pytest.fixture
def mail_backend(mail_server) -> MailBackend:
    backend = MailBackend(mail_server)
    yield backend
    backend.close()


@pytest.fixture
def mail_domain(mail_backend):
    """A fresh domain on the mail server, removed (with its mailboxes) afterwards."""
    name = unique_domain()
    mail_backend.ensure_domain(name)
    yield name
    mail_backend.remove_domain(name)


def make_mailbox(backend: MailBackend, domain: str, local: str = "alice", quota_mb: int = 100):
    """(address, password) of a new mailbox on DOMAIN."""
    password = secrets.token_urlsafe(12)
    address = f"{local}@{domain}"
    backend.ensure_mailbox(address, hash_password(password), quota_mb)
    return address, password


def drop_from_queue(entries: list[dict]) -> None:
    """Delete ENTRIES (from queued_for / postfix_queue) from Postfix's queue."""
    from panel.stack.common import run, tool

    for entry in entries:
        run([tool("postsuper"), "-c", settings.MAIL_POSTFIX_DIR, "-d", entry["queue_id"]])


@pytest.fixture
def hosted_zone(alice_account, dns_server, zone_name):
    """A zone of Alice's hosted on the stack's PowerDNS, its job run: a mail domain of
    that name publishes its records in it."""
    from provisioning.dns import services as dns_services
    from tests.dns.conftest import run_jobs

    zone = dns_services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active"
    return zone
