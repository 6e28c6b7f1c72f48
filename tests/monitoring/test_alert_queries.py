"""Alert evaluation costs a constant number of queries, whatever the number of events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
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


def _emails() -> int:
    return Message.objects.filter(kind__in=["alert", "alert_digest"]).count()


def _expected_emails(count: int) -> int:
    """One email per alert, or one summary when a pass has more (one administrator)."""
    return count if count <= settings.MONITORING_ALERT_DIGEST_OVER else 1


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
    assert _emails() == _expected_emails(count)
    assert open_queries == 16, "\n".join(q["sql"][:90] for q in _last)

    # Every agent reports again: one pass closes them all.
    ServerState.objects.update(last_report_at=now, last_sample_at=now)
    closed, close_queries = _counted(now + timedelta(seconds=5))
    assert closed == {"opened": 0, "closed": count}
    assert not AlertEvent.objects.open().exists()
    assert AuditEvent.objects.filter(action="monitoring.alert_closed").count() == count
    # 15: no servers to fetch and no events to insert, one UPDATE closing them all, the
    # administrators and one INSERT of the emails.
    assert _emails() == 2 * _expected_emails(count)
    assert close_queries == 15, "\n".join(q["sql"][:90] for q in _last)


def test_a_pass_with_many_alerts_sends_one_summary_naming_them(admin_user, settings):
    settings.MONITORING_ALERT_DIGEST_OVER = 3
    now = timezone.now()
    servers = _servers_gone_silent(60, now)
    alerts.evaluate(now)
    (digest,) = Message.objects.filter(kind="alert_digest")
    assert not Message.objects.filter(kind="alert").exists()
    assert digest.to == [admin_user.email]
    assert digest.subject == "[Hearth] 60 alerts opened at once"
    listed = [
        s.name for s in servers if f"- {s.name}: no report from the agent" in digest.text_body
    ]
    assert len(listed) == 50  # the first fifty, then how many more
    assert "… and 10 more." in digest.text_body
    assert "/monitoring/alerts/" in digest.text_body and "/monitoring/alerts/" in digest.html_body

    # Half the agents report again, half the servers are retired: one summary says which.
    retired = servers[:30]
    Server.objects.filter(pk__in=[s.pk for s in retired]).update(status="retired")
    ServerState.objects.update(last_report_at=now, last_sample_at=now)
    alerts.evaluate(now + timedelta(seconds=5))
    closing = Message.objects.filter(kind="alert_digest").exclude(pk=digest.pk).get()
    assert closing.subject == "[Hearth] 60 alerts closed at once"
    assert closing.text_body.count("(server retired)") + closing.text_body.count("(cleared)") == 50
    assert "(server retired)" in closing.text_body and "(cleared)" in closing.text_body


def test_up_to_the_limit_each_alert_has_its_own_email(admin_user, settings):
    settings.MONITORING_ALERT_DIGEST_OVER = 3
    now = timezone.now()
    _servers_gone_silent(3, now)
    alerts.evaluate(now)
    assert Message.objects.filter(kind="alert").count() == 3
    assert not Message.objects.filter(kind="alert_digest").exists()
