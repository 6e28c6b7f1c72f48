"""Alert evaluation costs a constant number of queries, whatever the number of events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring import alerts
from monitoring.models import AlertEvent, ServerState
from outbox.models import Message
from provisioning.servers.models import Server
from security.models import AuditEvent

pytestmark = pytest.mark.django_db
_last = []


def _servers_gone_silent(count: int, now) -> list[Server]:
    servers = Server.objects.bulk_create(
        Server(name=f"quiet{n}", address=f"quiet{n}.example.test") for n in range(count)
    )
    ServerState.objects.bulk_create(
        ServerState(
            server=s,
            last_report_at=now - timedelta(minutes=10),
            last_sample_at=now - timedelta(minutes=10),
            interval_seconds=10,
        )
        for s in servers
    )
    return servers


def _counted(now) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        result = alerts.evaluate(now)
    _last[:] = queries.captured_queries
    return result, len(queries)


@pytest.mark.parametrize("count", [10, 1000])
def test_a_pass_opens_and_closes_any_number_of_alerts_in_constant_queries(count, admin_user):
    now = timezone.now()
    _servers_gone_silent(count, now)
    opened, open_queries = _counted(now)
    assert opened == {"opened": count, "closed": 0}
    assert AlertEvent.objects.open().filter(rule__kind="silent").count() == count
    assert AuditEvent.objects.filter(action="monitoring.alert_opened").count() == count
    # 16 = SAVEPOINT/RELEASE of the test transaction, open events, rules, six breach queries
    # (two per windowed rule), the new events' servers, one INSERT each for events and audit
    # events, the administrators and one INSERT of their emails into the outbox, one count.
    assert Message.objects.filter(kind="alert").count() == count
    assert open_queries == 16, "\n".join(q["sql"][:90] for q in _last)

    # Every agent reports again: one pass closes them all.
    ServerState.objects.update(last_report_at=now, last_sample_at=now)
    closed, close_queries = _counted(now + timedelta(seconds=5))
    assert closed == {"opened": 0, "closed": count}
    assert not AlertEvent.objects.open().exists()
    assert AuditEvent.objects.filter(action="monitoring.alert_closed").count() == count
    # 15: no servers to fetch and no events to insert, one UPDATE closing them all, the
    # administrators and one INSERT of the emails.
    assert Message.objects.filter(kind="alert").count() == 2 * count
    assert close_queries == 15, "\n".join(q["sql"][:90] for q in _last)
