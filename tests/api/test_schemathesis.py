"""schemathesis over every operation of the schema, in-process against the WSGI app, as a
customer and as an administrator: no 5xx, and every answer conforms to the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from panel.wsgi import application
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


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def tokens(alice_account, admin_user, db_server, settings):
    settings.API_RATE_LIMITS = {"credential": (100000, 60), "address": (100000, 60)}
    bulk_databases(alice_account, db_server, 2)
    everything = {"databases": "write", "account": "write"}
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


def test_every_operation_conforms_as_an_admin(api_schema, tokens):
    seen = _fuzz(api_schema, tokens["admin"])
    assert len(seen) >= 15
    assert {"GET /api/v1/admin/accounts/", "GET /api/v1/jobs/"} <= _succeeded(seen)
