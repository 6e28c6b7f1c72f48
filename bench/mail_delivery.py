"""Delivery of N messages through Postfix -> LMTP -> Dovecot, with rspamd (DKIM signing and
scanning, as milter) on vs off: the cost of signing and scanning.

"On" is the stack's own Postfix. "Off" is a second Postfix instance started here from the
same module (panel/stack/postfix.py) with the same maps, the same Dovecot and no milter.
Both receive the same messages from the same client (four SMTP connections, loopback) for
a fresh mailbox on a fresh domain that has a DKIM key; a run ends when the last message is
in the maildir. Rounds alternate (on, off, off, on, ...) after a short warm-up of each.

    make bench                                  # one row of the table
    panel.stack exec -- python bench/mail_delivery.py --messages 1000
"""

from __future__ import annotations

import argparse
import os
import secrets
import smtplib
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

CONNECTIONS = 4
WARM_UP = 20


def _message(sender: str, to: str, n: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, f"bench {n}"
    msg["Message-ID"] = f"<{secrets.token_hex(8)}@bench.test>"
    msg.set_content("A short note, as most mail is.\n" * 20)
    return msg.as_bytes()


def _send(port: int, sender: str, to: str, numbers: range) -> None:
    from django.conf import settings

    with smtplib.SMTP(settings.MAIL_HOST, port, timeout=60) as client:
        for n in numbers:
            client.sendmail(sender, [to], _message(sender, to, n))


def deliver(port: int, sender: str, to: str, inbox: Path, count: int) -> float:
    """Seconds from the first SMTP connection until COUNT more messages are in INBOX."""
    before = len(os.listdir(inbox)) if inbox.exists() else 0
    share = -(-count // CONNECTIONS)
    started = time.perf_counter()
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        jobs = [
            pool.submit(_send, port, sender, to, range(i, min(i + share, count)))
            for i in range(0, count, share)
        ]
        for job in jobs:
            job.result()
    deadline = time.monotonic() + 600
    while (len(os.listdir(inbox)) if inbox.exists() else 0) < before + count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(os.listdir(inbox)) - before} of {count} delivered")
        time.sleep(0.02)
    return time.perf_counter() - started


def _backend():
    from django.conf import settings

    from provisioning.mail.backend import MailBackend
    from provisioning.servers.models import Server

    server = Server(name="bench-mail", address=settings.MAIL_HOST, roles=["mail"])
    server.set_role_connection(
        "mail",
        {"doveadm_url": settings.MAIL_DOVEADM_URL, "mail_root": settings.MAIL_ROOT},
        {
            "database_url": settings.MAIL_DATABASE_URL,
            "doveadm_api_key": settings.MAIL_DOVEADM_API_KEY,
            "dkim_redis_url": settings.MAIL_DKIM_REDIS_URL,
        },
    )
    return MailBackend(server)


def _plain_postfix(directory: Path):
    """A second Postfix like the stack's, without the milter (the 'rspamd off' side)."""
    from django.conf import settings

    from panel.stack.common import HOST, free_port
    from panel.stack.maildb import DB_NAME, READER
    from panel.stack.postfix import PORTS, PostfixServer
    from panel.stack.services import load_state

    entry = load_state()["mail"]
    server = PostfixServer(directory, {name: free_port() for name in PORTS})
    server.write_conf(
        db={
            "host": HOST,
            "port": str(entry["pg_port"]),
            "dbname": DB_NAME,
            "user": READER,
            "password": entry["passwords"]["reader"],
        },
        lmtp_port=settings.MAIL_LMTP_PORT,
        auth_port=entry["ports"]["auth"],
        quota_port=entry["ports"]["quota"],
        milter_port=None,
    )
    server.start()
    return server


def measure(messages: int = 1000, rounds: int = 1) -> dict:
    """{'hearth': s with rspamd, 'baseline': s without, 'ratio': on/off} (medians)."""
    from django.conf import settings

    from provisioning.mail.dkim import generate_key
    from provisioning.mail.passwords import hash_password

    backend = _backend()
    domain = f"bench{secrets.token_hex(3)}.bench.test"
    sink, sender = f"sink@{domain}", f"writer@{domain}"
    inbox = Path(settings.MAIL_ROOT) / domain / "sink" / "Maildir" / "new"
    backend.ensure_domain(domain)
    backend.ensure_mailbox(sink, hash_password(secrets.token_urlsafe(12)), 0)
    backend.ensure_dkim_key(domain, "bench", generate_key()[0])
    with tempfile.TemporaryDirectory(prefix="hearth-bench-postfix-") as tmp:
        Path(tmp).chmod(0o755)  # the postfix user works in there
        plain = _plain_postfix(Path(tmp))
        try:
            on_port, off_port = settings.MAIL_SMTP_PORT, plain.ports["smtp"]
            deliver(on_port, sender, sink, inbox, WARM_UP)
            newest = max(inbox.iterdir(), key=lambda path: path.stat().st_mtime)
            if b"DKIM-Signature:" not in newest.read_bytes():
                raise RuntimeError("rspamd did not sign: the 'on' side would measure nothing")
            deliver(off_port, sender, sink, inbox, WARM_UP)
            on, off = [], []
            for n in range(rounds):
                order = ((on, on_port), (off, off_port))
                for values, port in order if n % 2 == 0 else reversed(order):
                    values.append(deliver(port, sender, sink, inbox, messages))
        finally:
            plain.stop()
            backend.remove_domain(domain)
            backend.close()
    ratios = [a / b for a, b in zip(on, off, strict=True)]
    return {
        "hearth": statistics.median(on),
        "baseline": statistics.median(off),
        "ratio": statistics.median(ratios),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
    import django

    django.setup()
    result = measure(args.messages, args.rounds)
    print(f"messages: {args.messages} x {args.rounds} round(s), {CONNECTIONS} SMTP connections")
    print(f"rspamd on (DKIM signing + scanning): {result['hearth']:.2f} s")
    print(f"rspamd off (same Postfix, no milter): {result['baseline']:.2f} s")
    print(f"ratio on/off: {result['ratio']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
