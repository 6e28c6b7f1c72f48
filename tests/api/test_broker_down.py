"""The broker unreachable: every API call that hands work to a worker answers as the page
for the same action does (docs/reliability.md), never with a 5xx other than a clear 503.

Which calls: every operation of the served schema that answers 202 (accepted: a worker
does it), and the one that starts a job besides its 200 (retiring a DNS secondary). A new
202 operation fails `test_every_enqueuing_operation_is_called` until `Calls` says how to
call it. Each call runs against the real outage of tests/broker.py (the broker's port
refuses; the cache and rate limits keep the stack's Redis), on objects in the state the
call needs, and ends one of two ways:

- the work has a job row (the outbox): the documented answer, each job it queued pending
  with its attempts unchanged, refused by the broker, and sent by the dispatcher once the
  broker is back;
- the work has no row to wait in (a drift check): `503` problem+json, code
  `queue_unavailable`, `Retry-After`, and nothing made.
"""

from __future__ import annotations

from functools import cached_property

import pytest
from django.test import Client
from django.utils import timezone

from provisioning.databases.drift_actions import MISSING, STRAY_DATABASE, STRAY_ROLE
from provisioning.databases.models import DatabaseRole
from provisioning.dns import services as dns_services
from provisioning.engine import dispatch
from provisioning.engine.choices import JobState, StepState
from provisioning.engine.models import DriftFinding, DriftReport, ProvisioningJob
from provisioning.mail.choices import DnsMode
from provisioning.mail.models import MailDomain, Vacation
from provisioning.servers.choices import ServerRole
from provisioning.servers.models import Server
from tests.api.conftest import make_token, token_client
from tests.broker import unreachable_broker
from tests.dns.conftest import pdns_api
from tests.mailhosting.conftest import mail_server_row, mail_world, make_domain  # noqa: F401
from tests.provisioning.conftest import bulk_databases, run_jobs_inline

JSON = "application/json"
ALL = {"databases": "write", "dns": "write", "mail": "write", "account": "write"}
# Answers 200 and starts a job besides: a DNS secondary retired (its zones are taken off).
# (The API cannot make a server a secondary: that role's keys are given on the page only.)
JOBS_BESIDES_THE_ANSWER = {"admin_servers_retire_create"}
# The work has no row to wait in: refused while the broker is unreachable, as on the page.
REFUSED = {"admin_drift_reports_create"}


class World:
    """The objects the calls act on, each made (in the state its call needs) when asked."""

    def __init__(self, account, admin_user, db_server, mail_server, zone_name):
        self.account, self.admin, self.db_server = account, admin_user, db_server
        self.mail_server, self.zone_name = mail_server, zone_name

    def api(self, who: str) -> Client:
        if who == "admin":
            return token_client(make_token(self.admin, {"admin": "write"}))
        return token_client(make_token(self.account.owner, ALL))

    @cached_property
    def database(self):
        database = bulk_databases(self.account, self.db_server, 1)[0]
        ProvisioningJob.objects.for_resource(database).update(state=JobState.DONE)
        return database

    @cached_property
    def role(self) -> DatabaseRole:
        name = f"{self.database.name}_ro"
        return DatabaseRole.objects.create(database=self.database, name=name, state="active")

    @cached_property
    def zone(self):
        zone = dns_services.create_zone(self.account, self.zone_name, actor=self.account.owner)
        run_jobs_inline()  # served by the stack's PowerDNS: a re-apply reads it back
        zone.refresh_from_db()
        return zone

    def revised_zone(self) -> int:
        """The zone with a second revision applied (the first can be reverted to)."""
        rrsets = [{"name": "www", "type": "A", "values": ["192.0.2.82"]}]
        changes = f"/api/v1/dns/zones/{self.zone.pk}/changes/"
        response = self.api("alice").post(changes, {"rrsets": rrsets}, content_type=JSON)
        assert response.status_code == 202, response.content
        run_jobs_inline()
        return self.zone.pk

    def drifted_zone(self) -> int:
        """The zone, with a record changed on PowerDNS behind the panel's back."""
        records = [{"content": "192.0.2.99", "disabled": False}]
        rrset = {"name": f"www.{self.zone.name}", "type": "A", "ttl": 300, "records": records}
        rrsets = [rrset | {"changetype": "REPLACE"}]
        pdns_api("PATCH", f"/zones/{self.zone.name}", json={"rrsets": rrsets}).raise_for_status()
        return self.zone.pk

    @cached_property
    def mail(self) -> dict[str, int]:
        return mail_world(self.account)

    def mailbox_on_vacation(self) -> int:
        Vacation.objects.create(mailbox_id=self.mail["mailbox"], subject="Away", body="Soon.")
        return self.mail["mailbox"]

    def empty_domain(self) -> int:
        return make_domain(self.account, "empty.example.test", self.mail_server).pk

    def hosted_domain(self) -> int:
        """A mail domain whose zone is hosted here (the panel publishes its DKIM keys)."""
        domain = make_domain(self.account, self.zone.name.rstrip("."), self.mail_server)
        MailDomain.objects.filter(pk=domain.pk).update(zone=self.zone, dns_mode=DnsMode.HOSTED)
        return domain.pk

    @cached_property
    def report(self) -> DriftReport:
        """A finished report (its findings made below: the mail server here is a row only)."""
        return DriftReport.objects.create(requested_by=self.admin, finished_at=timezone.now())

    def finding(self, kind: str, label: str, **fields) -> dict:
        fields.setdefault("problem", "stray")
        finding = DriftFinding.objects.create(
            report=self.report, server=self.db_server, kind=kind, resource_label=label, **fields
        )
        return {"report_pk": self.report.pk, "id": finding.pk}

    def failed_job(self, *, done_steps: int) -> dict:
        job = ProvisioningJob.objects.for_resource(self.database).get()
        job.steps.update(state=StepState.PENDING)
        job.steps.filter(position__lte=done_steps).update(state=StepState.DONE)
        ProvisioningJob.objects.filter(pk=job.pk).update(state=JobState.FAILED)
        return {"id": job.pk}

    def secondary(self) -> dict:
        roles = [ServerRole.DNS_SECONDARY.value]
        return {"id": Server.objects.create(name="ns2", address="192.0.2.53", roles=roles).pk}


class Calls:
    """One method per operationId: (who calls, path parameters, body) on WORLD."""

    def databases_create(w):
        return "alice", {}, {"name": "outage"}

    def databases_destroy(w):
        return "alice", {"id": w.database.pk}, None

    def databases_roles_create(w):
        return "alice", {"database_pk": w.database.pk}, {"name": "reader", "privilege": "readonly"}

    def databases_roles_destroy(w):
        return "alice", {"database_pk": w.database.pk, "id": w.role.pk}, None

    def databases_roles_reset_password_create(w):
        return "alice", {"database_pk": w.database.pk, "id": w.role.pk}, {}

    def dns_zones_create(w):
        return "alice", {}, {"name": w.zone_name}

    def dns_zones_destroy(w):
        return "alice", {"id": w.zone.pk}, None

    def dns_zones_changes_create(w):
        rrsets = [{"name": "www", "type": "A", "values": ["192.0.2.80"]}]
        return "alice", {"id": w.zone.pk}, {"rrsets": rrsets}

    def dns_zones_dnssec_create(w):
        return "alice", {"id": w.zone.pk}, {"enabled": True}

    def dns_zones_import_create(w):
        return "alice", {"id": w.zone.pk}, {"text": "www 300 IN A 192.0.2.81\n", "apply": True}

    def dns_zones_revisions_revert_create(w):
        return "alice", {"zone_pk": w.revised_zone(), "number": 1}, {}

    def mail_domains_create(w):
        return "alice", {}, {"name": "outage.example.test"}

    def mail_domains_destroy(w):
        return "alice", {"id": w.empty_domain()}, None

    def mail_domains_rotate_dkim_create(w):
        return "alice", {"id": w.hosted_domain()}, {}

    def mail_mailboxes_create(w):
        return "alice", {}, {"domain": w.mail["mail-domain"], "local_part": "new", "password": ""}

    def mail_mailboxes_destroy(w):
        return "alice", {"id": w.mail["mailbox"]}, None

    def mail_mailboxes_password_create(w):
        return "alice", {"id": w.mail["mailbox"]}, {"password": ""}

    def mail_mailboxes_quota_create(w):
        return "alice", {"id": w.mail["mailbox"]}, {"quota_mb": 9}

    def mail_mailboxes_vacation_update(w):
        return "alice", {"id": w.mail["mailbox"]}, {"subject": "Away", "body": "Back Monday."}

    def mail_mailboxes_vacation_destroy(w):
        return "alice", {"id": w.mailbox_on_vacation()}, None

    def mail_aliases_create(w):
        body = {"domain": w.mail["mail-domain"], "local_part": "n", "destinations": ["y@x.test"]}
        return "alice", {}, body

    def mail_aliases_destroy(w):
        return "alice", {"id": w.mail["mail-alias"]}, None

    def admin_mail_mailboxes_suspend_create(w):
        return "admin", {"id": w.mail["mailbox"]}, {"suspended": True}

    def admin_jobs_retry_create(w):
        return "admin", w.failed_job(done_steps=0), {}

    def admin_jobs_rollback_create(w):
        return "admin", w.failed_job(done_steps=1), {}

    def admin_drift_reports_create(w):
        return "admin", {}, {}

    def admin_drift_reports_findings_adopt_create(w):
        return "admin", w.finding(STRAY_DATABASE, "alice_found", account=w.account), {}

    def admin_drift_reports_findings_drop_create(w):
        return "admin", w.finding(STRAY_ROLE, "alice_old"), {"confirm": "alice_old"}

    def admin_drift_reports_findings_recreate_create(w):
        missing = {"problem": MISSING, "resource_id": w.database.pk, "account": w.account}
        return "admin", w.finding("database", w.database.name, **missing), {}

    def admin_drift_reports_findings_reapply_create(w):
        return "admin", w.finding("dns_zone", w.zone.name, resource_id=w.drifted_zone()), {}

    def admin_servers_retire_create(w):
        return "admin", w.secondary(), {}


CALLED = sorted(name for name in vars(Calls) if not name.startswith("_"))


@pytest.fixture(scope="module")
def operations(django_db_blocker) -> dict[str, tuple[str, str, set[str]]]:
    """operationId → (method, path template, documented statuses), from the served schema."""
    with django_db_blocker.unblock():
        schema = Client().get("/api/v1/schema/?format=json").json()
    return {
        operation["operationId"]: (method, path, set(operation["responses"]))
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


def test_every_enqueuing_operation_is_called(operations):
    accepted = {name for name, (_, _, statuses) in operations.items() if "202" in statuses}
    assert set(CALLED) == accepted | JOBS_BESIDES_THE_ANSWER


@pytest.fixture
def world(alice_account, admin_user, db_server, dns_server, zone_name, request, settings):
    settings.API_RATE_LIMITS = {"credential": (100000, 60), "address": (100000, 60)}
    mail_server = request.getfixturevalue("mail_server_row")  # a row the services can pick
    return World(alice_account, admin_user, db_server, mail_server, zone_name)


def _attempts(**filters) -> dict[int, int]:
    return dict(ProvisioningJob.objects.filter(**filters).values_list("pk", "attempts"))


def _assert_refused(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "queue_unavailable" and "temporarily" in problem["detail"]
    assert int(response["Retry-After"]) == problem["retry_after"] > 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("operation_id", CALLED)
def test_a_call_answers_as_decided_while_the_broker_is_unreachable(
    operation_id, operations, world, caplog
):
    method, template, documented = operations[operation_id]
    who, params, body = getattr(Calls, operation_id)(world)
    path = template.format(**params)
    attempts, reports = _attempts(), DriftReport.objects.count()
    waiting = _attempts(state=JobState.PENDING)
    client = world.api(who)

    with unreachable_broker():
        response = getattr(client, method)(path, {} if body is None else body, content_type=JSON)

    if operation_id in REFUSED:
        _assert_refused(response)
        assert _attempts() == attempts and DriftReport.objects.count() == reports
        return
    assert str(response.status_code) in documented and response.status_code < 300, response.content
    queued = {pk: n for pk, n in _attempts(state=JobState.PENDING).items() if pk not in waiting}
    assert queued, "no job waits: this call handed no work to a worker"
    assert all(n == attempts.get(pk, 0) for pk, n in queued.items())  # none was tried
    refused = [r for r in caplog.records if "not sent (broker unavailable" in r.getMessage()]
    assert len(refused) >= len(queued)  # each was sent, and the outage refused it
    # The broker is back: the dispatcher sends what waited (to a queue no worker takes).
    assert dispatch.dispatch_stale(grace_seconds=0)["sent"] >= len(queued)
