"""The mail host of the stack: the mail database, then Dovecot, Postfix and rspamd in parallel.

All three run from var/mailserver/ on loopback ports kept in var/stack.json (reused when free),
maildirs in var/mailserver/vhosts/ owned by the `hearth-vmail` system user. Postfix must start
as root (it always does, and drops to `postfix`), so without root the mail host is skipped.
See docs/mail.md ("The servers").
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from panel.stack import dovecot, postfix, rspamd
from panel.stack.common import (
    HOST,
    VAR,
    ensure_system_user,
    free_port,
    is_root,
    port_is_free,
    rel,
    say,
    short_hash,
)
from panel.stack.dovecot import DovecotServer
from panel.stack.maildb import DB_NAME, READER, ensure_mail_db, writer_url
from panel.stack.postfix import PostfixServer
from panel.stack.roles import new_password
from panel.stack.rspamd import RspamdServer

MAIL_DIR = VAR / "mailserver"
MAIL_USER = "hearth-vmail"
DKIM_REDIS_DB = 5  # rspamd reads the DKIM keys here; the panel's cache and broker use 0
ALL_PORTS = (*dovecot.PORTS, *postfix.PORTS, "milter")

MailService = DovecotServer | PostfixServer | RspamdServer


def mail_available() -> bool:
    return dovecot.dovecot_available() and postfix.postfix_available() and rspamd.rspamd_available()


def config_version() -> str:
    """Changes whenever the code writing the servers' configuration does (then they restart)."""
    sources = (dovecot.__file__, postfix.__file__, rspamd.__file__, __file__)
    return short_hash("".join(Path(source).read_text() for source in sources))


def pick_ports(saved: dict) -> dict[str, int]:
    ports: dict[str, int] = {}
    for name in ALL_PORTS:
        port = saved.get(name)
        if not (isinstance(port, int) and port not in ports.values() and port_is_free(port)):
            port = free_port()
            while port in ports.values():
                port = free_port()
        ports[name] = port
    return ports


def servers(root: Path, ports: dict[str, int]) -> list[MailService]:
    """The three servers in start order (Dovecot first: Postfix delivers to it)."""
    return [
        DovecotServer(root / "dovecot", {k: ports[k] for k in dovecot.PORTS if k in ports}),
        PostfixServer(root / "postfix", {k: ports[k] for k in postfix.PORTS if k in ports}),
        RspamdServer(root / "rspamd", {"milter": ports.get("milter", 0)}),
    ]


def local_mail_services(state: dict) -> list[MailService]:
    entry = state.get("mail", {})
    return servers(Path(entry.get("dir", MAIL_DIR)), entry.get("ports", {}))


def env_for(entry: dict, root: Path) -> dict[str, str]:
    p, pw = entry["ports"], entry["passwords"]
    return {
        "MAIL_DATABASE_URL": writer_url(HOST, entry["pg_port"], pw["writer"]),
        "MAIL_HOST": HOST,
        "MAIL_SMTP_PORT": str(p["smtp"]),
        "MAIL_SUBMISSION_PORT": str(p["submission"]),
        "MAIL_IMAP_PORT": str(p["imap"]),
        "MAIL_LMTP_PORT": str(p["lmtp"]),
        "MAIL_SIEVE_PORT": str(p["sieve"]),
        "MAIL_DOVEADM_URL": f"http://{HOST}:{p['doveadm']}/doveadm/v1",
        "MAIL_DOVEADM_API_KEY": pw["doveadm"],
        "MAIL_DKIM_REDIS_URL": f"{entry['redis_url']}",
        "MAIL_ROOT": str(root / "vhosts"),
        "MAIL_POSTFIX_DIR": str(root / "postfix"),
    }


def up_mail(
    state: dict, started: list, pg_port: int, dns_address: Callable[[], str], redis_url: str
):
    """Start (or reuse) the mail host; return its environment (var/stack.env).

    DNS_ADDRESS gives PowerDNS's address (it may still be starting: it is asked for only
    once Dovecot and Postfix are on their way; rspamd needs it).
    """
    if os.environ.get("HEARTH_MAIL", "").strip().lower() in {"0", "false", "no", "off"}:
        say("mail:     HEARTH_MAIL is off: no mail servers")
        return {}
    if not is_root():
        say("mail:     not started (Postfix needs root to start; run as root for mail)")
        return {}
    entry = dict(state.get("mail", {}))
    root = Path(entry.get("dir", MAIL_DIR)).absolute()
    passwords = entry.get("passwords") or {}
    for key in ("writer", "reader"):
        passwords.setdefault(key, new_password())
    passwords.setdefault("doveadm", secrets.token_hex(16))
    superuser = f"postgres://postgres@{HOST}:{pg_port}/postgres"
    ensure_mail_db(superuser, passwords)
    redis = urlsplit(redis_url)
    dkim_url = f"redis://{redis.hostname}:{redis.port}/{DKIM_REDIS_DB}"
    existing = servers(root, entry.get("ports", {}))
    version = config_version()
    current = entry.get("version") == version
    if current and entry.get("ports") and all(server.is_running() for server in existing):
        entry.update(pg_port=pg_port, redis_url=dkim_url)
        state["mail"] = entry
        say(f"mail:     already running (dir: {rel(root)})")
        return env_for(entry, root)
    for server in existing:  # a partial set from a crash: start all three afresh
        server.stop()
    ports = pick_ports(entry.get("ports", {}))
    uid, gid = ensure_system_user(MAIL_USER)
    vhosts = root / "vhosts"
    vhosts.mkdir(parents=True, exist_ok=True)
    os.chown(vhosts, uid, gid)
    vhosts.chmod(0o750)
    db = {"host": HOST, "port": str(pg_port), "dbname": DB_NAME, "user": READER}
    db["password"] = passwords["reader"]
    fresh = servers(root, ports)
    dove, post, spam = fresh
    dove.write_conf(
        db=" ".join(f"{k}={v}" for k, v in db.items()),
        vhosts=vhosts,
        uid=uid,
        gid=gid,
        smtp_port=ports["relay"],
        api_key=passwords["doveadm"],
    )
    post.write_conf(
        db=db,
        lmtp_port=ports["lmtp"],
        auth_port=ports["auth"],
        quota_port=ports["quota"],
        milter_port=ports["milter"],
    )
    errors: list[BaseException] = []
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {server.name: pool.submit(server.start) for server in (dove, post)}
        try:
            address = dns_address()
        except Exception as exc:  # noqa: BLE001 - reported below, after stopping the others
            errors.append(exc)
        else:
            spam.write_conf(
                dns_address=address,
                redis_host=redis.hostname or HOST,
                redis_port=redis.port or 6379,
                redis_db=DKIM_REDIS_DB,
            )
            futures[spam.name] = pool.submit(spam.start)
    for server in fresh:
        if server.name not in futures:
            continue
        try:
            futures[server.name].result()
            server.started = True
            started.append(server)
        except Exception as exc:  # noqa: BLE001 - reported below, after stopping the others
            errors.append(exc)
    if errors:
        for server in fresh:
            server.stop()
        raise errors[0]
    entry.update(dir=str(root), ports=ports, passwords=passwords, pg_port=pg_port, version=version)
    entry["redis_url"] = dkim_url
    state["mail"] = entry
    say(
        f"mail:     started: smtp {HOST}:{ports['smtp']}, submission :{ports['submission']}, "
        f"imap :{ports['imap']}, lmtp :{ports['lmtp']}, milter :{ports['milter']} "
        f"(dir: {rel(root)})"
    )
    return env_for(entry, root)
