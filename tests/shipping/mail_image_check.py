"""Compose's mail image, started as compose runs it (`make image-test`, not `make test`).

HEARTH_MAIL_IMAGE names the image (`make mail-image` builds it from deploy/mail/). Its
`setup-db` one-shot makes the mail database on a PostgreSQL cluster (SCRAM passwords, as
compose's `postgres`); `dovecot`, `rspamd` and `postfix` then run as three containers on the
host network, each finding the others by address as compose's services find them by name.
Hearth registers the result as a mail server and provisions a mailbox on it, which receives
a message over SMTP and shows it over IMAP.
"""

from __future__ import annotations

import imaplib
import os
import secrets
import shutil
import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest

from panel.stack import free_port, start_redis
from provisioning.mail.backend import MailBackend
from provisioning.mail.management.commands.ensure_default_mail_server import (
    register_mail_server,
)
from provisioning.mail.passwords import hash_password
from tests.provisioning.pgcluster import destroy_cluster, start_cluster
from tests.shipping.image_check import podman

IMAGE = os.environ.get("HEARTH_MAIL_IMAGE", "")
SERVERS = ("dovecot", "rspamd", "postfix")  # compose's start order
PORT_NAMES = ("imap", "lmtp", "auth", "quota", "sieve", "doveadm")
PORT_NAMES += ("smtp", "submission", "relay", "milter")


def wait_until(check, timeout=90.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def logs(name: str) -> str:
    result = podman("logs", name, check=False)
    return result.stdout + result.stderr


def env_args(env: dict[str, str]) -> list[str]:
    return [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]


@pytest.fixture(scope="module")
def mail_db():
    assert IMAGE, "set HEARTH_MAIL_IMAGE (make image-test does)"
    target = start_cluster()
    passwords = {"writer": secrets.token_hex(16), "reader": secrets.token_hex(16)}
    env = {
        "MAIL_DB_HOST": "127.0.0.1",
        "MAIL_DB_PORT": str(target.port),
        "MAIL_DB_SUPERUSER_PASSWORD": target.password,
        "MAIL_DB_WRITER_PASSWORD": passwords["writer"],
        "MAIL_DB_READER_PASSWORD": passwords["reader"],
    }
    setup = ["run", "--rm", "--network", "host", *env_args(env), IMAGE, "setup-db"]
    first = podman(*setup, check=False)
    again = podman(*setup, check=False)  # compose runs it on every `up`
    yield target, passwords, (first, again)
    destroy_cluster(target)


@pytest.fixture(scope="module")
def mail_host(mail_db, tmp_path_factory):
    target, passwords, _ = mail_db
    tmp = tmp_path_factory.mktemp("mailimage")
    redis = start_redis(tmp / "redis")
    ports = {name: free_port() for name in PORT_NAMES}
    while len(set(ports.values())) < len(ports):
        ports = {name: free_port() for name in PORT_NAMES}
    vhosts = tmp / "vhosts"
    vhosts.mkdir()
    env = {
        "MAIL_BIND": "127.0.0.1",
        **{f"MAIL_{name.upper()}_HOST": "127.0.0.1" for name in SERVERS},
        **{f"MAIL_PORT_{name.upper()}": str(port) for name, port in ports.items()},
        "MAIL_DB_HOST": "127.0.0.1",
        "MAIL_DB_PORT": str(target.port),
        "MAIL_DB_READER_PASSWORD": passwords["reader"],
        "MAIL_DOVEADM_API_KEY": secrets.token_hex(16),
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(redis.port),
        "MAIL_OUTBOUND": "false",
        "MAIL_TRUSTED_NETWORKS": "127.0.0.0/8",
        # offline: rspamd asks the stack's PowerDNS, not the host's resolvers
        "RSPAMD_NAMESERVER": os.environ.get("PDNS_DNS_ADDRESS", "127.0.0.1:53"),
    }
    names = {server: f"hearth-{server}-{secrets.token_hex(4)}" for server in SERVERS}
    made = {"names": names, "ports": ports, "env": env, "vhosts": vhosts, "redis": redis}
    made["passwords"], made["db_port"] = passwords, target.port
    try:
        for server in SERVERS:
            podman(
                *("run", "--detach", "--name", names[server], "--network", "host"),
                *("-v", f"{vhosts}:/var/mail/vhosts"),
                *env_args(env),
                IMAGE,
                server,
            )
            healthy = wait_until(
                lambda s=server: podman("healthcheck", "run", names[s], check=False).returncode == 0
            )
            assert healthy, f"{server} is not healthy:\n{logs(names[server])[-3000:]}"
        yield made
    finally:
        for name in names.values():
            podman("rm", "--force", name, check=False)
        redis.destroy()
        shutil.rmtree(vhosts, ignore_errors=True)


def test_setup_db_makes_the_roles_and_schema_and_can_run_again(mail_db):
    target, passwords, (first, again) = mail_db
    assert first.returncode == 0, first.stdout + first.stderr
    assert again.returncode == 0, again.stdout + again.stderr
    url = f"postgresql://{{}}:{{}}@127.0.0.1:{target.port}/hearth_mail"
    with psycopg.connect(url.format("hearth_mail_writer", passwords["writer"])) as conn:
        conn.execute("INSERT INTO domains (name) VALUES ('setup.example.test')")
        conn.rollback()
    with psycopg.connect(url.format("hearth_mail_reader", passwords["reader"])) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO domains (name) VALUES ('setup.example.test')")


def test_each_server_is_its_containers_main_process_and_logs_to_the_console(mail_host):
    expected = {"dovecot": b"dovecot", "postfix": b"master", "rspamd": b"rspamd"}
    for server, name in mail_host["names"].items():
        cmdline = podman("exec", name, "cat", "/proc/1/cmdline").stdout.encode()
        assert expected[server] in cmdline, (server, cmdline)
        assert mail_host["passwords"]["reader"].encode() not in cmdline
        assert f"hearth-mail: {server} on" in logs(name)
    conf = podman(
        "exec",
        mail_host["names"]["postfix"],
        "stat",
        "-c",
        "%a %G",
        "/srv/mail/postfix/mailboxes.cf",
    ).stdout.split()
    assert conf == ["640", "postfix"]  # the reader's password: root and Postfix only


def _register(settings, mail_host):
    p, pw = mail_host["ports"], mail_host["passwords"]
    settings.MAIL_DATABASE_URL = (
        f"postgres://hearth_mail_writer:{pw['writer']}@127.0.0.1:{mail_host['db_port']}/hearth_mail"
    )
    settings.MAIL_HOST = "127.0.0.1"
    settings.MAIL_SMTP_PORT, settings.MAIL_IMAP_PORT = p["smtp"], p["imap"]
    settings.MAIL_SUBMISSION_PORT = p["submission"]
    settings.MAIL_DOVEADM_URL = f"http://127.0.0.1:{p['doveadm']}/doveadm/v1"
    settings.MAIL_DOVEADM_API_KEY = mail_host["env"]["MAIL_DOVEADM_API_KEY"]
    settings.MAIL_DKIM_REDIS_URL = mail_host["redis"].url(5)
    settings.MAIL_ROOT = str(mail_host["vhosts"])
    server, _ = register_mail_server(f"compose-mail-{secrets.token_hex(3)}")
    return server


def test_hearth_provisions_a_mailbox_that_receives_mail_over_smtp_and_imap(db, settings, mail_host):
    backend = MailBackend(_register(settings, mail_host))
    domain = f"m{secrets.token_hex(4)}.example.test"
    address, password = f"alice@{domain}", secrets.token_urlsafe(12)
    backend.ensure_domain(domain)
    try:
        backend.ensure_mailbox(address, hash_password(password), 50)
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "bob@example.org", address, "through compose"
        msg.set_content("hello\n")
        with smtplib.SMTP("127.0.0.1", mail_host["ports"]["smtp"], timeout=30) as client:
            assert client.sendmail("bob@example.org", [address], msg.as_bytes()) == {}

        def delivered() -> bytes | None:
            client = imaplib.IMAP4("127.0.0.1", mail_host["ports"]["imap"], timeout=30)
            try:
                client.login(address, password)
                client.select("INBOX", readonly=True)
                _, found = client.search(None, "ALL")
                if not found[0]:
                    return None
                _, parts = client.fetch(found[0].split()[-1], "(RFC822)")
                return parts[0][1]
            finally:
                client.logout()

        raw = wait_until(delivered, 30)
        assert raw and b"Subject: through compose" in raw
        # (delivered at all: Postfix tempfails every message while its milter, rspamd, is away)
        maildir = Path(mail_host["vhosts"]) / domain / "alice" / "Maildir"
        assert maildir.is_dir() and maildir.stat().st_uid == 10001  # the panel image's uid
        assert backend.usage(address)[0] > 0  # doveadm's HTTP API, from the panel
    finally:
        backend.remove_domain(domain)
    assert not (Path(mail_host["vhosts"]) / domain).exists()
