"""100 mailboxes through Hearth (service -> job -> usable over IMAP) next to the same rows
inserted straight into the mail database (hash + INSERT -> usable over IMAP), same run.

Both sides hash each password (ARGON2ID, the scheme Dovecot verifies) and end with an IMAP
login per mailbox, so the ratio is what the panel adds: validation, rows, audit events, the
job and its steps, the backend's checks. Jobs run in this process through the real runner
(the broker is not involved). `make bench` runs it after the other benches; alone:

    python -m panel.stack exec -- .venv/bin/python bench/mail_provision.py
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
COUNT = int(os.environ.get("BENCH_MAILBOXES", "100"))
PASSWORD = "Bench-" + secrets.token_urlsafe(12)
GOAL = 3.0  # Hearth may take at most 3x the bare inserts


def _imap_ok(address: str) -> None:
    from tests.mailstack import imap_login

    imap_login(address, PASSWORD).logout()


def _setup():
    from django.core.management import call_command

    from accounts import services as accounts
    from accounts.models import Plan
    from provisioning.engine.choices import ResourceState
    from provisioning.mail.choices import DnsMode
    from provisioning.mail.models import MailDomain
    from provisioning.servers.models import Server

    call_command("ensure_default_mail_server", verbosity=0)
    server = Server.objects.get(name="local-mail")
    plan = Plan.objects.create(
        name=f"bench-mail-{secrets.token_hex(3)}",
        max_mailboxes=10 * COUNT,
        max_mail_domains=10,
        mail_quota_mb=10 * COUNT,
    )
    prefix = f"m{secrets.token_hex(3)}"
    account, _ = accounts.create_customer(
        name="Bench mail", email=f"{prefix}@bench.test", prefix=prefix, plan=plan, actor=None
    )
    names = [f"{prefix}{side}.bench-mail.test" for side in ("h", "b")]
    backend = _backend(server)
    for name in names:
        backend.ensure_domain(name)
    domain = MailDomain.objects.create(
        account=account,
        server=server,
        name=names[0],
        display_name=names[0],
        dns_mode=DnsMode.EXTERNAL,
        dkim_selector="bench",
        dkim_txt="v=DKIM1; k=rsa; p=",
        state=ResourceState.ACTIVE,
    )
    return server, domain, names[1], backend


def _backend(server):
    from provisioning.mail.backend import MailBackend

    return MailBackend(server)


def hearth_round(domain, n: int) -> float:
    from provisioning.engine import runner
    from provisioning.engine.models import ProvisioningJob
    from provisioning.mail import mailboxes

    started = time.perf_counter()
    for i in range(COUNT):
        box, _ = mailboxes.create_mailbox(
            domain, f"r{n + 1}u{i}", quota_mb=1, password=PASSWORD, actor=None
        )
        job = ProvisioningJob.objects.for_resource(box).get()
        if runner.run_job(job.pk) != "done":
            sys.exit(f"job {job.pk} failed: {ProvisioningJob.objects.get(pk=job.pk).error_detail}")
        _imap_ok(box.address)
    return time.perf_counter() - started


def baseline_round(backend, domain_name: str, n: int) -> float:
    import psycopg

    from provisioning.mail.passwords import hash_password

    url = backend.server.credentials_for("mail")["database_url"]
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        for i in range(COUNT):
            address = f"r{n + 1}u{i}@{domain_name}"
            conn.execute(
                "INSERT INTO mailboxes (address, domain, local_part, password, quota_mb, active) "
                "VALUES (%s, %s, %s, %s, 1, true)",
                (address, domain_name, f"r{n + 1}u{i}", hash_password(PASSWORD)),
            )
            _imap_ok(address)
    return time.perf_counter() - started


def measure(rounds: int = 1) -> dict:
    """Seconds for COUNT mailboxes each way (median of ROUNDS), and the ratio."""
    server, domain, other, backend = _setup()
    try:
        hearth, base = [], []
        for n in range(rounds):  # alternate which side goes first (H B, B H, ...)
            if n % 2 == 0:
                hearth.append(hearth_round(domain, n))
                base.append(baseline_round(backend, other, n))
            else:
                base.append(baseline_round(backend, other, n))
                hearth.append(hearth_round(domain, n))
        h, b = statistics.median(hearth), statistics.median(base)
        return {"hearth": h, "baseline": b, "ratio": h / b}
    finally:
        backend.remove_domain(domain.name)
        backend.remove_domain(other)
        backend.close()


def row() -> dict:
    result = measure()
    return {
        "measure": f"{COUNT} mailboxes usable over IMAP (s)",
        "hearth": f"{result['hearth']:.2f}",
        "baseline": f"{result['baseline']:.2f}",
        "ratio": result["ratio"],
        "goal": f"<= {GOAL:g}",
        "met": result["ratio"] <= GOAL,
    }


def _private_broker() -> str:
    """The stack's Redis, database 9: no worker listens there, and it is emptied at the end."""
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return urlunsplit(urlsplit(url)._replace(path="/9"))


def main() -> None:
    from bench import harness

    # Jobs run here; their messages go where no worker of the stack can see the bench's ids.
    broker = os.environ["CELERY_BROKER_URL"] = _private_broker()

    databases = harness.bench_databases()
    os.environ.update(databases, DJANGO_SETTINGS_MODULE="bench.settings")
    os.environ.setdefault("HEARTH_DEV", "1")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        harness.print_table([row()])
    finally:
        import redis

        redis.Redis.from_url(broker).flushdb()


if __name__ == "__main__":
    main()
