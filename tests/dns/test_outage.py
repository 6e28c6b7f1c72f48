"""PowerDNS stopped in the middle of a change: the job retries, then restores the zone."""

from __future__ import annotations

import dataclasses
import secrets
import time

import pytest
from django.utils import timezone

from panel.stack.common import VAR
from panel.stack.pdns import PgTarget, start_pdns
from panel.stack.services import load_state
from provisioning.dns import services, steps
from provisioning.dns.servers import register_dns_server
from provisioning.dns.validation import RecordInput
from provisioning.engine import registry, runner
from provisioning.engine.models import ProvisioningJob
from tests.dns.conftest import run_jobs
from tests.dns.dnsquery import answers


@pytest.fixture
def own_pdns():
    """A PowerDNS of this test's own (its own database on the stack's PostgreSQL, made as
    the superuser), which the test may stop."""
    dbname = f"pdns_test_{secrets.token_hex(4)}"
    superuser = f"postgres://postgres@127.0.0.1:{load_state()['postgres']['port']}/postgres"
    server = start_pdns(VAR / f"{dbname}", superuser, dbname=dbname)
    target = PgTarget.from_url(superuser, dbname)
    yield server, target
    server.destroy()
    target.psql("-c", f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)', dbname="postgres")


def run_once(job: ProvisioningJob) -> str:
    job.refresh_from_db()
    while job.next_attempt_at > timezone.now():
        time.sleep(0.01)
    return runner.run_job(job.pk)


def test_powerdns_stopped_mid_change_retries_then_rolls_back(
    alice_account, own_pdns, fast_jobs, monkeypatch, zone_name
):
    pdns, target = own_pdns
    address = ("127.0.0.1", pdns.dns_port)
    register_dns_server(
        "own-pdns",
        api_url=pdns.api_url,
        api_key=pdns.api_key(),
        dns_address=f"127.0.0.1:{pdns.dns_port}",
    )
    zone = services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    first = RecordInput("www", "A", 300, "192.0.2.1")
    run_jobs()
    services.add_record(zone, first, actor=None)
    services.apply_changes(zone, actor=None)
    run_jobs()
    assert answers(address, "www." + zone_name, "A") == {"192.0.2.1"}

    # The next change: PowerDNS goes down right after the PATCH, before the check.
    kind = registry.get_kind("dns_zone.change")

    def stop_then_verify(ctx):
        if pdns.is_running():
            pdns.stop()
        steps.verify_change(ctx)

    wrapped = [
        s if s.name != "verify" else dataclasses.replace(s, do=stop_then_verify) for s in kind.steps
    ]
    monkeypatch.setitem(registry._KINDS, kind.name, dataclasses.replace(kind, steps=wrapped))
    record = zone.records.get(name="www." + zone_name)
    services.edit_record(record, RecordInput("www", "A", 300, "192.0.2.99"), actor=None)
    services.apply_changes(zone, actor=None)
    job = ProvisioningJob.objects.filter(kind="dns_zone.change").order_by("-pk").first()

    assert run_once(job) == "retry scheduled"  # applied, then the check found nobody
    job.refresh_from_db()
    assert job.attempts == 1 and job.phase == "forward"
    # Gave up; the undo cannot reach it either: cleanup waits for the server (engine's rule).
    assert run_once(job) == "cleanup pending"
    job.refresh_from_db()
    assert job.phase == "rollback" and job.state == "pending"

    pdns.start(target)  # back up (same ports): the rollback goes through
    run_jobs()
    job.refresh_from_db()
    zone.refresh_from_db()
    # The job keeps its forward cause (the check found nobody), not the rollback's message.
    assert job.state == "failed" and "did not answer" in job.error_message
    outcome = [(s.name, s.state) for s in job.steps.order_by("position")]
    assert outcome == [("apply", "rolled_back"), ("verify", "failed")]  # no secondary: no step
    assert zone.state == "active" and "Change #3 was not applied" in zone.error_message
    assert answers(address, "www." + zone_name, "A") == {"192.0.2.1"}
    assert zone.applied_revision().number == 2
