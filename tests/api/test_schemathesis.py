"""schemathesis over every operation of the schema, in-process against the WSGI app, as a
customer and as an administrator: no 5xx, and every answer conforms to the schema. Then a
stateful run over HTTP against the live server, following the schema's links (create a zone
or a database → get, change, delete what was created)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.urls import set_urlconf
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from panel.wsgi import application
from provisioning.dns import services as dns_services
from tests.api.conftest import make_token
from tests.provisioning.conftest import bulk_databases


@pytest.fixture
def api_schema(db):
    # Like Django's test client: a request must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
    # The WSGI client never closes a response, so request_finished (which resets the
    # thread's URLconf) does not fire: an agent request would leave its own URLconf behind.
    set_urlconf(None)


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


EVERYTHING = {"databases": "write", "dns": "write", "account": "write"}


@pytest.fixture
def tokens(alice_account, admin_user, db_server, dns_server, settings):
    settings.API_RATE_LIMITS = {"credential": (100000, 60), "address": (100000, 60)}
    bulk_databases(alice_account, db_server, 2)
    dns_services.create_zone(alice_account, "fuzz.example.test", actor=alice_account.owner)
    everything = EVERYTHING
    return {
        "customer": make_token(alice_account.owner, everything),
        "admin": make_token(admin_user, everything | {"admin": "write"}),
    }


FUZZ = settings(
    max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


def _fuzz(api_schema, token: str) -> dict[str, set[int]]:
    """Run every operation (hypothesis raises on the first failing check); returns the
    statuses each operation answered."""
    headers = {"Authorization": f"Bearer {token}"}
    seen: dict[str, set[int]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            seen.setdefault(case.operation.label, set()).add(response.status_code)

        run()
    return seen


def _succeeded(seen: dict[str, set[int]]) -> set[str]:
    return {label for label, statuses in seen.items() if any(s < 300 for s in statuses)}


def test_every_operation_conforms_as_a_customer(api_schema, tokens):
    seen = _fuzz(api_schema, tokens["customer"])
    assert len(seen) >= 15
    assert {"GET /api/v1/databases/", "GET /api/v1/account/"} <= _succeeded(seen)
    assert "GET /api/v1/dns/zones/" in _succeeded(seen)


def test_every_operation_conforms_as_an_admin(api_schema, tokens):
    seen = _fuzz(api_schema, tokens["admin"])
    assert len(seen) >= 15
    assert {"GET /api/v1/admin/accounts/", "GET /api/v1/jobs/"} <= _succeeded(seen)
    assert {"GET /api/v1/admin/servers/", "GET /api/v1/admin/audit-events/"} <= _succeeded(seen)


STATEFUL = settings(
    max_examples=12,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.mark.django_db(transaction=True)
def test_linked_operations_conform_against_the_live_server(
    live_server, alice_account, db_server, dns_server, settings
):
    """Stateful: the ids a create answers with are followed into the linked operations.

    No worker runs: zones and databases stay pending, so nothing reaches PowerDNS or the
    database server, and the calls that need an active zone answer 409, as documented."""
    settings.API_RATE_LIMITS = {"credential": (100000, 60), "address": (100000, 60)}
    token = make_token(alice_account.owner, EVERYTHING)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/?format=json")
    # The resources the links chain (revoking its own token or session would end the run).
    schema = schema.include(path_regex="^/api/v1/(dns|databases|jobs)/")
    seen: dict[str, set[int]] = {}

    class Customer(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

        def after_call(self, response, case):
            seen.setdefault(case.operation.label, set()).add(response.status_code)

    Customer.run(settings=STATEFUL)
    # Reached with a 2xx only through a link (a random id is a 404).
    followed = {
        "GET /api/v1/dns/zones/{id}/",
        "GET /api/v1/dns/zones/{id}/rrsets/",
        "GET /api/v1/dns/zones/{id}/dnssec/",
        "GET /api/v1/dns/zones/{id}/export/",
        "GET /api/v1/dns/zones/{zone_pk}/records/",
        "GET /api/v1/dns/zones/{zone_pk}/revisions/",
        "GET /api/v1/databases/{id}/",
        "GET /api/v1/databases/{database_pk}/roles/",
    }
    reached = _succeeded(seen) & followed
    assert len(reached) >= 2 and any("/dns/" in label for label in reached), seen
    assert "POST /api/v1/dns/zones/" in _succeeded(seen)
