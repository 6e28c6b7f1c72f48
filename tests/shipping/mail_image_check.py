"""Compose's mail image, started as compose runs it (`make image-test`, not `make test`).

HEARTH_MAIL_IMAGE names the image (`make mail-image` builds it from deploy/mail/). As in
compose, `dovecot`, `rspamd` and `postfix` run as three containers on a network of their own,
with compose's defaults (every address, the standard ports, peers found by service name,
the private networks trusted); `postgres` and `redis` are names on that network for a
PostgreSQL cluster (SCRAM passwords) and a Redis of the test's own, forwarded from the
network's gateway. `setup-db` makes the mail database first, twice, as every `up` does.
Hearth then registers the result as a mail server and provisions a mailbox on it, which
receives a message over SMTP and shows it over IMAP.
"""

from __future__ import annotations

import imaplib
import json
import os
import secrets
import shutil
import smtplib
import socket
import socketserver
import threading
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest

from panel.stack import start_redis
from provisioning.mail.backend import MailBackend
from provisioning.mail.management.commands.ensure_default_mail_server import (
    register_mail_server,
)
from provisioning.mail.passwords import hash_password
from tests.provisioning.pgcluster import destroy_cluster, start_cluster
from tests.shipping.image_check import podman, wait_until

IMAGE = os.environ.get("HEARTH_MAIL_IMAGE", "")
SERVERS = ("dovecot", "rspamd", "postfix")  # compose's start order
QUEUE = ["postqueue", "-c", "/srv/mail/postfix", "-j"]


def logs(name: str) -> str:
    result = podman("logs", name, check=False)
    return result.stdout + result.stderr


def env_args(env: dict[str, str]) -> list[str]:
    return [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]


class _Pipe(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        with socket.create_connection(("127.0.0.1", self.server.target_port)) as upstream:
            copy = threading.Thread(target=_copy, args=(upstream, self.request), daemon=True)
            copy.start()
            _copy(self.request, upstream)
            copy.join(5)


def _copy(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def forward(address: str, target_port: int) -> socketserver.ThreadingTCPServer:
    """Serve ADDRESS:<free port>, each connection piped to 127.0.0.1:TARGET_PORT."""
    server = socketserver.ThreadingTCPServer((address, 0), _Pipe)
    server.daemon_threads = True
    server.target_port = target_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def network():
    assert IMAGE, "set HEARTH_MAIL_IMAGE (make image-test does)"
    name = f"hearth-mail-{secrets.token_hex(4)}"
    podman("network", "create", name)
    info = json.loads(podman("network", "inspect", name).stdout)[0]
    # the network's bridge (and so its gateway address) exists once a container is on it
    keeper = f"{name}-keeper"
    sleeper = ["--network", name, "--entrypoint", "sleep", IMAGE, "infinity"]
    podman("run", "--detach", "--name", keeper, *sleeper)
    yield name, info["subnets"][0]["gateway"]
    podman("rm", "--force", "--time", "0", keeper, check=False)
    podman("network", "rm", "--force", name, check=False)


@pytest.fixture(scope="module")
def mail_db(network):
    net, gateway = network
    target = start_cluster()
    pg = forward(gateway, target.port)
    passwords = {"writer": secrets.token_hex(16), "reader": secrets.token_hex(16)}
    env = {
        "MAIL_DB_PORT": str(pg.server_address[1]),
        "MAIL_DB_SUPERUSER_PASSWORD": target.password,
        "MAIL_DB_WRITER_PASSWORD": passwords["writer"],
        "MAIL_DB_READER_PASSWORD": passwords["reader"],
    }
    setup = ["run", "--rm", "--network", net, "--add-host", f"postgres:{gateway}"]
    setup += [*env_args(env), IMAGE, "setup-db"]
    first = podman(*setup, check=False)
    again = podman(*setup, check=False)
    yield {"target": target, "passwords": passwords, "port": env["MAIL_DB_PORT"]}, (first, again)
    pg.shutdown()
    destroy_cluster(target)


def _address(container: str, net: str) -> str:
    info = json.loads(podman("inspect", container).stdout)[0]
    return info["NetworkSettings"]["Networks"][net]["IPAddress"]


@pytest.fixture(scope="module")
def mail_host(network, mail_db, tmp_path_factory):
    net, gateway = network
    db, _ = mail_db
    tmp = tmp_path_factory.mktemp("mailimage")
    redis = start_redis(tmp / "redis")
    redis_fwd = forward(gateway, redis.port)
    vhosts = tmp / "vhosts"
    vhosts.mkdir()
    env = {  # what compose gives them, ports aside (the forwarders' own)
        "MAIL_DB_PORT": db["port"],
        "MAIL_DB_READER_PASSWORD": db["passwords"]["reader"],
        "MAIL_DOVEADM_API_KEY": secrets.token_hex(16),
        "REDIS_PORT": str(redis_fwd.server_address[1]),
        "MAIL_OUTBOUND": "false",  # no internet here: mail for other hosts stays queued
    }
    names = {server: f"hearth-{server}-{secrets.token_hex(4)}" for server in SERVERS}
    made = {"names": names, "env": env, "vhosts": vhosts, "redis": redis, "db": db}
    try:
        for server in SERVERS:
            podman(
                *("run", "--detach", "--name", names[server]),
                *("--network", net, "--network-alias", server),
                *("--add-host", f"postgres:{gateway}", "--add-host", f"redis:{gateway}"),
                *("-v", f"{vhosts}:/var/mail/vhosts"),
                *env_args(env),
                IMAGE,
                server,
            )
            healthy = wait_until(
                lambda s=server: podman("healthcheck", "run", names[s], check=False).returncode == 0
            )
            assert healthy, f"{server} is not healthy:\n{logs(names[server])[-3000:]}"
        made["ip"] = {server: _address(names[server], net) for server in SERVERS}
        yield made
    finally:
        for name in names.values():
            podman("rm", "--force", name, check=False)
        redis_fwd.shutdown()
        redis.destroy()
        shutil.rmtree(vhosts, ignore_errors=True)


def test_setup_db_makes_the_roles_and_schema_and_can_run_again(mail_db):
    db, (first, again) = mail_db
    assert first.returncode == 0, first.stdout + first.stderr
    assert again.returncode == 0, again.stdout + again.stderr
    url = f"postgresql://{{}}:{{}}@127.0.0.1:{db['target'].port}/hearth_mail"
    with psycopg.connect(url.format("hearth_mail_writer", db["passwords"]["writer"])) as conn:
        conn.execute("INSERT INTO domains (name) VALUES ('setup.example.test')")
        conn.rollback()
    with psycopg.connect(url.format("hearth_mail_reader", db["passwords"]["reader"])) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO domains (name) VALUES ('setup.example.test')")


def test_each_server_is_its_containers_main_process_and_logs_to_the_console(mail_host):
    expected = {"dovecot": b"dovecot", "postfix": b"master", "rspamd": b"rspamd"}
    for server, name in mail_host["names"].items():
        cmdline = podman("exec", name, "cat", "/proc/1/cmdline").stdout.encode()
        assert expected[server] in cmdline, (server, cmdline)
        assert mail_host["db"]["passwords"]["reader"].encode() not in cmdline
        assert f"hearth-mail: {server} on" in logs(name)
    stat = ["stat", "-c", "%a %G", "/srv/mail/postfix/mailboxes.cf"]
    mode = podman("exec", mail_host["names"]["postfix"], *stat).stdout.split()
    assert mode == ["640", "postfix"]  # the reader's password: root and Postfix only


def _register(settings, mail_host):
    ip, pw = mail_host["ip"], mail_host["db"]["passwords"]
    port = mail_host["db"]["target"].port
    settings.MAIL_DATABASE_URL = (
        f"postgres://hearth_mail_writer:{pw['writer']}@127.0.0.1:{port}/hearth_mail"
    )
    settings.MAIL_HOST = ip["postfix"]
    settings.MAIL_DOVEADM_URL = f"http://{ip['dovecot']}:8080/doveadm/v1"
    settings.MAIL_DOVEADM_API_KEY = mail_host["env"]["MAIL_DOVEADM_API_KEY"]
    settings.MAIL_DKIM_REDIS_URL = mail_host["redis"].url(5)
    settings.MAIL_ROOT = str(mail_host["vhosts"])
    server, _ = register_mail_server(f"compose-mail-{secrets.token_hex(3)}")
    return server


def _message(to: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "bob@example.org", to, subject
    msg.set_content("hello\n")
    return msg.as_bytes()


def _inbox(mail_host, address: str, password: str) -> bytes | None:
    """The newest message in ADDRESS's inbox, over IMAP (None while it is empty)."""
    client = imaplib.IMAP4(mail_host["ip"]["dovecot"], 143, timeout=30)
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


def test_hearth_provisions_a_mailbox_that_receives_mail_over_smtp_and_imap(db, settings, mail_host):
    backend = MailBackend(_register(settings, mail_host))
    domain = f"m{secrets.token_hex(4)}.example.test"
    address, password = f"alice@{domain}", secrets.token_urlsafe(12)
    backend.ensure_domain(domain)
    try:
        backend.ensure_mailbox(address, hash_password(password), 50)
        with smtplib.SMTP(mail_host["ip"]["postfix"], 25, timeout=30) as client:
            message = _message(address, "through compose")
            assert client.sendmail("bob@example.org", [address], message) == {}
        # (delivered at all: Postfix tempfails every message while its milter, rspamd, is away)
        raw = wait_until(lambda: _inbox(mail_host, address, password), 30)
        assert raw and b"Subject: through compose" in raw
        maildir = Path(mail_host["vhosts"]) / domain / "alice" / "Maildir"
        assert maildir.is_dir() and maildir.stat().st_uid == 10001  # the panel image's uid
        assert backend.usage(address)[0] > 0  # doveadm's HTTP API, from the panel
    finally:
        backend.remove_domain(domain)
    assert not (Path(mail_host["vhosts"]) / domain).exists()


def test_the_relay_port_takes_the_networks_mail_for_anywhere_and_port_25_does_not(mail_host):
    # the panel's own mail goes out on 10025 (compose's EMAIL_PORT); this client is on the
    # network's gateway, inside the private ranges compose trusts
    postfix = mail_host["ip"]["postfix"]
    with smtplib.SMTP(postfix, 25, timeout=30) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail("hearth@example.org", ["someone@example.net"], b"Subject: x\n\nx\n")
    assert b"Relay access denied" in refused.value.recipients["someone@example.net"][1]
    with smtplib.SMTP(postfix, 10025, timeout=30) as client:
        assert (
            client.sendmail("hearth@example.org", ["someone@example.net"], b"Subject: y\n\ny\n")
            == {}
        )
    name = mail_host["names"]["postfix"]
    queued = wait_until(lambda: "someone@example.net" in podman("exec", name, *QUEUE).stdout, 30)
    assert queued  # held: MAIL_OUTBOUND=false
    podman("exec", name, "postsuper", "-c", "/srv/mail/postfix", "-d", "ALL")
