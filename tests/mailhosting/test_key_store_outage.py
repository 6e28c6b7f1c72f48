"""The DKIM key store (the Redis rspamd reads its signing keys from) goes away in the middle
of a mail domain's job: the key step is retried, then given up; the saga walks back across
the DNS server and the mail database, and the customer reads why.

The fault is real: the mail server is registered with a Redis of this test's own as its key
store, which the test stops while the job is paused at the key step (rspamd keeps reading
the stack's Redis: nothing is signed in this test).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from panel.stack import start_redis
from provisioning.dns import services as dns_services
from provisioning.engine.choices import JobPhase, JobState, StepState
from provisioning.engine.models import ProvisioningJob
from provisioning.mail import domains
from provisioning.mail.management.commands.ensure_default_mail_server import (
    DEFAULT_NAME,
    register_mail_server,
)
from tests.dns.conftest import run_jobs
from tests.dns.dnsquery import answers
from tests.dns.test_outage import run_once
from tests.mailhosting.test_faults import PAUSE, first_attempt_cut_at
from tests.mailstack import dkim_store, mail_database_rows

pytestmark = pytest.mark.django_db(transaction=True)
NOTHING = {"domains": 0, "mailboxes": 0, "aliases": 0, "dkim_keys": 0}


class KeyStoreOutage:
    """The mail server's DKIM key store: a Redis of the test's own, stopped and restarted."""

    def __init__(self, directory) -> None:
        self.redis = start_redis(directory)
        self.url = self.redis.url(5)

    def cut(self) -> None:
        self.redis.stop()

    def restore(self) -> None:
        if not self.redis.is_running():
            self.redis.start()  # the same port: the server row keeps pointing at it


@pytest.fixture
def key_store(mail_server, settings, tmp_path):
    outage = KeyStoreOutage(tmp_path / "dkim-redis")
    settings.MAIL_DKIM_REDIS_URL = outage.url
    register_mail_server(DEFAULT_NAME)  # the job's backend now stores keys there
    yield outage
    outage.redis.destroy()


@pytest.fixture
def hosted_zone(alice_account, dns_server, zone_name):
    zone = dns_services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    run_jobs()
    return zone


def test_key_store_unreachable_mid_domain_job_retries_then_rolls_back(
    alice_account, alice_client, hosted_zone, pdns_address, key_store, backend, fast_jobs
):
    zone = hosted_zone
    name = zone.name.rstrip(".")
    fast_jobs.PROVISIONING_TEST_PAUSE = f"dkim_key:{PAUSE}"
    domain = domains.create_domain(alice_account, name, actor=alice_account.owner)
    job = ProvisioningJob.objects.get(kind="mail_domain.create", state=JobState.PENDING)
    try:
        first_attempt_cut_at(job, "dkim_key", key_store)
        job.refresh_from_db()
        assert (job.state, job.phase, job.attempts) == (JobState.PENDING, JobPhase.FORWARD, 1)
        assert job.error_message == "The mail server's key store cannot be reached right now."
        assert mail_database_rows(name) == {**NOTHING, "domains": 1}  # no key half-installed
        assert answers(pdns_address, zone.name, "MX")  # published before the cut

        fast_jobs.PROVISIONING_TEST_PAUSE = ""
        run_once(job)  # the second attempt: still away, so it gives up and walks back
        job.refresh_from_db()
        failed = job.steps.get(name="dkim_key")
        assert (failed.state, failed.attempts) == (StepState.FAILED, 2)
        assert "Gave up after 2 attempts" in job.error_message
        domain.refresh_from_db()
        assert domain.state == "failed"  # the customer knows now
        assert "key store cannot be reached" in domain.error_message
        assert answers(pdns_address, zone.name, "MX") == set()
        assert answers(pdns_address, f"_dmarc.{zone.name}", "TXT") == set()
        assert mail_database_rows(name) == NOTHING
        # What rspamd might still hold for the domain is unknown while the store is away:
        # the undo on the mail server waits for it.
        assert (job.state, job.phase) == (JobState.PENDING, JobPhase.ROLLBACK)
        assert "Cleanup pending: DKIM key store" in job.error_detail

        key_store.restore()
        run_jobs()
        job.refresh_from_db()
        assert job.state == JobState.FAILED
        assert not job.steps.filter(state=StepState.DONE).exists()  # every made step undone
        assert "dkim_private" not in job.params  # the private key left with the job
        assert dkim_store(name, key_store.url) == (set(), None)
        assert mail_database_rows(name) == NOTHING
        zone.refresh_from_db()
        assert zone.state == "active" and not zone.records.filter(type="MX").exists()

        page = alice_client.get(reverse("mail:domain_detail", args=[domain.pk])).content.decode()
        assert "The mail server&#x27;s key store cannot be reached right now." in page
        assert "Gave up after 2 attempts." in page
    finally:
        key_store.restore()
        backend.remove_domain(name)
