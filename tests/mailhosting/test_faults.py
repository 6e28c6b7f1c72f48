"""The mail database goes away in the middle of a job: the engine retries the step, gives up,
walks back across the DNS server and the mail server (the mail server's part waiting until
its database is back), and the customer reads why.

The fault is real: the cluster's superuser revokes the writer role's CONNECT on the mail
database and ends its open sessions while the job is paused at a step (Postfix and Dovecot
keep reading through their own role).
"""

from __future__ import annotations

import secrets
import threading
import time

import psycopg
import pytest
from django.db import connections
from django.urls import reverse
from psycopg import sql

from panel.stack.maildb import DB_NAME, WRITER
from panel.stack.services import load_state
from provisioning.engine import runner
from provisioning.engine.choices import JobPhase, JobState, StepState
from provisioning.engine.models import ProvisioningJob
from provisioning.mail import domains, mailboxes
from provisioning.mail.models import Mailbox
from tests.dns.conftest import run_jobs
from tests.dns.dnsquery import answers
from tests.dns.test_outage import run_once
from tests.mailstack import mail_database_rows

pytestmark = pytest.mark.django_db(transaction=True)
PAUSE = 1.5  # seconds a job sits at the paused step: time to cut the mail database off


class MailDatabaseOutage:
    """The writer role shut out of the mail database, and let back in."""

    def __init__(self) -> None:
        port = load_state()["postgres"]["port"]
        self.url = f"postgres://postgres@127.0.0.1:{port}/{DB_NAME}"

    def cut(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("REVOKE CONNECT ON DATABASE {} FROM {}").format(
                    sql.Identifier(DB_NAME), sql.Identifier(WRITER)
                )
            )
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (WRITER,),
            )

    def restore(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(DB_NAME), sql.Identifier(WRITER)
                )
            )

    def rows(self, domain: str) -> dict[str, int]:
        return mail_database_rows(domain)


@pytest.fixture
def outage():
    made = MailDatabaseOutage()
    yield made
    made.restore()  # whatever the test did, the writer gets its database back


def first_attempt_cut_at(job: ProvisioningJob, step: str, outage) -> None:
    """Run the job's first attempt in a thread; when it reaches STEP (paused there by the
    engine's test hook), cut the server off (OUTAGE.cut()); wait for the attempt to end."""

    def attempt() -> None:
        try:
            runner.run_job(job.pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=attempt)
    thread.start()
    deadline = time.monotonic() + 30
    while not job.steps.filter(name=step, state=StepState.RUNNING).exists():
        assert thread.is_alive() and time.monotonic() < deadline, "the job never reached " + step
        time.sleep(0.02)
    outage.cut()
    thread.join(timeout=60)
    assert not thread.is_alive()


def _gives_up_then_waits_for_cleanup(job: ProvisioningJob, step: str) -> None:
    """The first attempt failed at STEP and is due again; the second gives up and walks
    back, the mail server's undo waiting for its database."""
    job.refresh_from_db()
    assert (job.state, job.phase, job.attempts) == (JobState.PENDING, JobPhase.FORWARD, 1)
    assert "cannot be reached" in job.error_message
    run_once(job)
    job.refresh_from_db()
    failed = job.steps.get(name=step)
    assert (failed.state, failed.attempts) == (StepState.FAILED, 2)  # retried once, then gave up
    assert job.attempts_total == 2
    assert (job.state, job.phase) == (JobState.PENDING, JobPhase.ROLLBACK)
    assert "Gave up after 2 attempts" in job.error_message
    assert "Cleanup pending: mail database" in job.error_detail


def test_mail_database_unreachable_mid_domain_job_retries_then_rolls_back(
    alice_account, alice_client, pdns_zone, backend, fast_jobs, outage
):
    pdns, zone = pdns_zone
    name = zone.name.rstrip(".")
    dns = ("127.0.0.1", pdns.dns_port)
    fast_jobs.PROVISIONING_TEST_PAUSE = f"dkim_key:{PAUSE}"
    domain = domains.create_domain(alice_account, name, actor=alice_account.owner)
    job = ProvisioningJob.objects.get(kind="mail_domain.create", state=JobState.PENDING)

    first_attempt_cut_at(job, "dkim_key", outage)
    # The domain reached the mail database and its records PowerDNS before the cut.
    assert outage.rows(name)["domains"] == 1
    assert answers(dns, zone.name, "MX")

    fast_jobs.PROVISIONING_TEST_PAUSE = ""
    _gives_up_then_waits_for_cleanup(job, "dkim_key")
    domain.refresh_from_db()
    assert domain.state == "failed"  # the customer knows now, not when the cleanup ends
    assert "cannot be reached" in domain.error_message
    assert answers(dns, zone.name, "MX") == set()  # the DNS half is already walked back
    assert answers(dns, f"_dmarc.{zone.name}", "TXT") == set()
    assert outage.rows(name)["domains"] == 1  # the mail half waits for the database

    outage.restore()
    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert not job.steps.filter(state=StepState.DONE).exists()  # every made step undone
    assert outage.rows(name) == {"domains": 0, "mailboxes": 0, "aliases": 0, "dkim_keys": 0}
    assert backend.inspect_domain(name) is None
    zone.refresh_from_db()
    assert zone.state == "active"
    assert not zone.records.filter(type="MX").exists()
    assert zone.revisions.first().state == "failed"

    page = alice_client.get(reverse("mail:domain_detail", args=[domain.pk])).content.decode()
    assert "The mail server&#x27;s database cannot be reached right now." in page
    assert "Gave up after 2 attempts." in page


def test_mail_database_unreachable_mid_mailbox_job_retries_then_rolls_back(
    alice_account, alice_client, mail_server, backend, fast_jobs, outage
):
    name = f"q{secrets.token_hex(4)}.hearth-mail.test"
    domain = domains.create_domain(alice_account, name, actor=alice_account.owner)
    run_jobs()
    domain.refresh_from_db()
    assert domain.state == "active", domain.error_message
    try:
        fast_jobs.PROVISIONING_TEST_PAUSE = f"send_limit:{PAUSE}"
        box, _password = mailboxes.create_mailbox(
            domain, "jo", quota_mb=10, password="Zx9!kq2#Lmwe", actor=alice_account.owner
        )
        job = ProvisioningJob.objects.get(kind="mailbox.create", state=JobState.PENDING)

        first_attempt_cut_at(job, "send_limit", outage)
        assert outage.rows(name)["mailboxes"] == 1  # made before the cut

        fast_jobs.PROVISIONING_TEST_PAUSE = ""
        _gives_up_then_waits_for_cleanup(job, "send_limit")
        box.refresh_from_db()
        assert box.state == "failed" and "cannot be reached" in box.error_message

        outage.restore()
        run_jobs()
        job.refresh_from_db()
        assert job.state == JobState.FAILED
        assert outage.rows(name)["mailboxes"] == 0
        assert backend.inspect_mailbox(box.address) is None
        assert "password_hash" not in job.params  # the secret left with the job
        box = Mailbox.objects.get(pk=box.pk)
        page = alice_client.get(reverse("mail:mailbox_detail", args=[box.pk])).content.decode()
        assert "cannot be reached right now." in page
    finally:
        backend.remove_domain(name)
