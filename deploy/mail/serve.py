"""Compose's mail servers (deploy/mail/Dockerfile): one image, one server per container.

    python3 -m deploy.mail.serve setup-db   # the mail database, its roles and schema; exits
    python3 -m deploy.mail.serve dovecot    # or postfix, rspamd: configure, then serve
    python3 -m deploy.mail.serve healthcheck

The configuration is the one `make run` writes (panel/stack/dovecot.py, postfix.py,
rspamd.py, maildb.py); here each server listens on every address, reaches the others by
their compose service names, trusts compose's private networks, logs to the console and
runs in the foreground as the container's main process. Standard library only.

Environment (docs/deploy.md, "Mail in compose"): MAIL_DB_HOST, MAIL_DB_PORT,
MAIL_DB_READER_PASSWORD (Postfix, Dovecot), MAIL_DB_WRITER_PASSWORD and
MAIL_DB_SUPERUSER_PASSWORD (setup-db), MAIL_DOVEADM_API_KEY (Dovecot), REDIS_HOST,
REDIS_PORT, REDIS_PASSWORD (rspamd, DKIM keys), MAIL_PUBLIC_HOSTNAME, MAIL_OUTBOUND
(Postfix), MAIL_TRUSTED_NETWORKS, MAIL_BIND, MAIL_<SERVER>_HOST, MAIL_PORT_<NAME>.
"""

from __future__ import annotations

import os
import pwd
import socket
import sys
from pathlib import Path

from panel.stack.dovecot import DovecotServer
from panel.stack.maildb import DB_NAME, READER, ensure_mail_db
from panel.stack.mailhost import DKIM_REDIS_DB
from panel.stack.postfix import PostfixServer
from panel.stack.rspamd import RspamdServer

ROOT = Path("/srv/mail")  # each server's configuration; Postfix's queue; rspamd's data
VHOSTS = Path("/var/mail/vhosts")  # the maildirs (volume `maildirs`, shared with the worker)
MAIL_USER = "vmail"  # uid 10001, the panel image's user: the worker writes sieve scripts here
RUNNING = Path("/run/hearth-mail-server")  # which server this container runs (healthcheck)
PORTS = {
    "imap": 143,
    "lmtp": 24,
    "auth": 12345,
    "quota": 12340,
    "sieve": 4190,
    "doveadm": 8080,
    "smtp": 25,
    "submission": 587,
    "relay": 10025,
    "milter": 11332,
}
PRIVATE = "127.0.0.0/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16"
SERVERS = {"dovecot": DovecotServer, "postfix": PostfixServer, "rspamd": RspamdServer}
OWN_PORTS = {
    "dovecot": ("imap", "lmtp", "auth", "quota", "sieve", "doveadm"),
    "postfix": ("smtp", "submission", "relay"),
    "rspamd": ("milter",),
}


class Misconfigured(Exception):
    """A setting is missing or wrong; the message says which."""


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, "").strip() or default
    if value is None:
        raise Misconfigured(f"{name} is not set (make env writes it to .env)")
    return value


def ports() -> dict[str, int]:
    found = {}
    for name, default in PORTS.items():
        value = env(f"MAIL_PORT_{name.upper()}", str(default))
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise Misconfigured(f"MAIL_PORT_{name.upper()} is not a port: {value!r}")
        found[name] = int(value)
    return found


def server(name: str, all_ports: dict[str, int]):
    """The panel.stack server NAME, placed for a container."""
    return SERVERS[name](
        ROOT / name,
        {port: all_ports[port] for port in OWN_PORTS[name]},
        bind=env("MAIL_BIND", "*"),
        peers={peer: env(f"MAIL_{peer.upper()}_HOST", peer) for peer in SERVERS},
        networks=tuple(env("MAIL_TRUSTED_NETWORKS", PRIVATE).replace(",", " ").split()),
        console=True,
    )


def reader() -> dict[str, str]:
    db = {"host": env("MAIL_DB_HOST", "postgres"), "port": env("MAIL_DB_PORT", "5432")}
    db.update(dbname=DB_NAME, user=READER, password=env("MAIL_DB_READER_PASSWORD"))
    return db


def configure_dovecot(dove: DovecotServer, p: dict[str, int]) -> None:
    entry = pwd.getpwnam(MAIL_USER)
    VHOSTS.mkdir(parents=True, exist_ok=True)
    os.chown(VHOSTS, entry.pw_uid, entry.pw_gid)  # a fresh volume may come up root's
    VHOSTS.chmod(0o750)
    dove.write_conf(
        db=" ".join(f"{k}={v}" for k, v in reader().items()),
        vhosts=VHOSTS,
        uid=entry.pw_uid,
        gid=entry.pw_gid,
        smtp_port=p["relay"],
        api_key=env("MAIL_DOVEADM_API_KEY"),
    )


def configure_postfix(post: PostfixServer, p: dict[str, int]) -> None:
    outbound = env("MAIL_OUTBOUND", "true").lower()
    if outbound not in {"true", "false"}:
        raise Misconfigured(f"MAIL_OUTBOUND must be true or false, not {outbound!r}")
    post.write_conf(
        db=reader(),
        lmtp_port=p["lmtp"],
        auth_port=p["auth"],
        quota_port=p["quota"],
        milter_port=p["milter"],
        myhostname=env("MAIL_PUBLIC_HOSTNAME", "mail.hearth.test").rstrip("."),
        outbound=outbound == "true",
    )


def configure_rspamd(spam: RspamdServer, p: dict[str, int]) -> None:
    spam.write_conf(
        dns_address=env("RSPAMD_NAMESERVER", ""),
        redis_host=env("REDIS_HOST", "redis"),
        redis_port=int(env("REDIS_PORT", "6379")),
        redis_db=DKIM_REDIS_DB,
        redis_password=env("REDIS_PASSWORD", ""),
    )


CONFIGURE = {"dovecot": configure_dovecot, "postfix": configure_postfix, "rspamd": configure_rspamd}


def serve(name: str) -> None:
    """Write NAME's configuration, then become it."""
    p = ports()
    daemon = server(name, p)
    CONFIGURE[name](daemon, p)
    if name != "rspamd":
        daemon.prepare()
    argv = daemon.foreground_argv()
    RUNNING.write_text(name)
    print(f"hearth-mail: {name} on {', '.join(str(p[k]) for k in OWN_PORTS[name])}", flush=True)
    os.execv(argv[0], argv)  # noqa: S606 - argv list, no shell


def setup_db() -> None:
    host, port = env("MAIL_DB_HOST", "postgres"), env("MAIL_DB_PORT", "5432")
    superuser = f"postgres://postgres:{env('MAIL_DB_SUPERUSER_PASSWORD')}@{host}:{port}/postgres"
    passwords = {"writer": env("MAIL_DB_WRITER_PASSWORD"), "reader": env("MAIL_DB_READER_PASSWORD")}
    try:
        ensure_mail_db(superuser, passwords)
    except ValueError:
        names = "MAIL_DB_WRITER_PASSWORD and MAIL_DB_READER_PASSWORD"
        raise Misconfigured(f"{names} must be 32 hex digits (make env makes them)") from None
    print(f"hearth-mail: database {DB_NAME} on {host}:{port} is ready", flush=True)


def healthy() -> bool:
    """The running server's ports accept; Postfix's SMTP port also greets with 220."""
    try:
        name = RUNNING.read_text().strip()
    except FileNotFoundError:  # still writing its configuration
        return False
    p = ports()
    for port in OWN_PORTS[name]:
        try:
            with socket.create_connection(("127.0.0.1", p[port]), timeout=3) as sock:
                if port == "smtp" and not sock.recv(64).startswith(b"220"):
                    return False
        except OSError:
            return False
    return True


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    try:
        if command in SERVERS:
            serve(command)
        elif command == "setup-db":
            setup_db()
        elif command == "healthcheck":
            return 0 if healthy() else 1
        else:
            print(f"usage: serve.py setup-db|healthcheck|{'|'.join(SERVERS)}", file=sys.stderr)
            return 2
    except Misconfigured as exc:
        print(f"hearth-mail: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
