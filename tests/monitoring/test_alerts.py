"""Alerts open once, stay open, close; email admins over real SMTP; audit; top bar."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import alerts, storage
from monitoring.models import AlertEvent, ServerState
from provisioning.servers.services import retire_server
from security.models import AuditEvent


def _samples(server, now, cpu, minutes=6, mem=40.0):
    rows = [
        {
            "server_id": server.pk,
            "ts": now - timedelta(seconds=s),
            "cpu_percent": cpu,
            "mem_percent": mem,
            "disk_percent": 20.0,
        }
        for s in range(0, minutes * 60, 10)
    ]
    storage.insert_samples(rows)
    ServerState.objects.update_or_create(
        server=server,
        defaults={
            "last_report_at": now,
            "last_sample_at": now,
            "interval_seconds": 10,
            "cpu_percent": cpu,
            "mem_percent": mem,
            "disk_percent": 20.0,
        },
    )


def _alert_mail(inbox, count: int) -> list:
    return inbox.wait_for_matching(b"[Hearth]", count)


@pytest.mark.django_db(transaction=True)
def test_cpu_alert_opens_once_stays_open_and_closes(
    server, admin_user, alice_account, smtp_server, admin_client, celery_worker
):
    now = timezone.now()
    _samples(server, now, cpu=97.0)
    assert alerts.evaluate(now) == {"opened": 1, "closed": 0}
    event = AlertEvent.objects.get()
    assert event.is_open and event.rule.kind == "cpu"
    assert event.message == "web1: CPU usage 97.0 % above 90 % for 300 s"
    # (alice's own verification email goes through the same outbox: leave it aside)
    message = _alert_mail(smtp_server, 1)[0]
    assert message.rcpt_tos == [admin_user.email]  # administrators only, not alice
    assert b"ALERT" in message.content and b"web1" in message.content
    assert AuditEvent.objects.filter(action="monitoring.alert_opened").count() == 1

    # Still above: no second event, no second email.
    assert alerts.evaluate(now + timedelta(seconds=20)) == {"opened": 0, "closed": 0}
    assert AlertEvent.objects.count() == 1

    # Shown as critical on the overview, the server page and the top bar.
    overview = admin_client.get("/monitoring/").content.decode()
    assert "1 critical" in overview
    detail = admin_client.get(f"/monitoring/servers/{server.pk}/").content.decode()
    assert "badge-critical" in detail and event.message in detail
    assert 'title="Open monitoring alerts">1 critical' in overview  # the top bar

    # Back to normal: the alert closes, with an email and an audit event.
    later = now + timedelta(minutes=7)
    _samples(server, later, cpu=20.0)
    assert alerts.evaluate(later) == {"opened": 0, "closed": 1}
    event.refresh_from_db()
    assert event.closed_at is not None and event.close_reason == "cleared"
    messages = _alert_mail(smtp_server, 2)
    assert len(messages) == 2 and b"Resolved" in messages[1].content  # one each, in order
    assert AuditEvent.objects.filter(action="monitoring.alert_closed").count() == 1
    assert "critical" not in admin_client.get("/monitoring/alerts/").content.decode()


def test_a_short_spike_does_not_open_a_cpu_alert(server, admin_user):
    now = timezone.now()
    _samples(server, now, cpu=20.0)
    storage.insert_samples(
        [{"server_id": server.pk, "ts": now - timedelta(seconds=5), "cpu_percent": 99.0}]
    )
    assert alerts.evaluate(now)["opened"] == 0


def test_topbar_shows_the_open_alert_count(server, admin_user, admin_client):
    now = timezone.now()
    _samples(server, now, cpu=10.0, mem=95.0)
    alerts.evaluate(now)
    page = admin_client.get("/monitoring/alerts/rules/").content.decode()
    assert 'class="badge badge-critical" title="Open monitoring alerts">1 critical' in page


def test_silent_agent_and_full_disk_open_alerts(server, admin_user):
    now = timezone.now()
    ServerState.objects.create(
        server=server,
        last_report_at=now - timedelta(seconds=45),
        last_sample_at=now - timedelta(seconds=45),
        interval_seconds=10,
        disk_percent=95.0,
    )
    assert alerts.evaluate(now)["opened"] == 2
    kinds = set(AlertEvent.objects.open().values_list("rule__kind", flat=True))
    assert kinds == {"silent", "disk"}
    ServerState.objects.filter(server=server).update(last_report_at=now, disk_percent=50.0)
    assert alerts.evaluate(now) == {"opened": 0, "closed": 2}


def test_disabled_rules_do_not_fire(server, admin_user):
    from monitoring.models import AlertRule

    AlertRule.objects.update(enabled=False)
    now = timezone.now()
    _samples(server, now, cpu=99.0, mem=99.0)
    assert alerts.evaluate(now) == {"opened": 0, "closed": 0}


def test_the_alert_message_states_the_rule_as_edited(server, admin_user):
    from monitoring.models import AlertRule

    AlertRule.objects.filter(kind="memory").update(threshold=5.0, duration_seconds=60)
    now = timezone.now()
    _samples(server, now, cpu=10.0, mem=8.5)
    assert alerts.evaluate(now)["opened"] == 1
    assert AlertEvent.objects.get().message == "web1: Memory usage 8.5 % above 5 % for 60 s"


def test_a_silent_agent_does_not_resolve_its_cpu_alert(server, admin_user):
    now = timezone.now()
    _samples(server, now, cpu=97.0)
    assert alerts.evaluate(now)["opened"] == 1
    # The agent stops: no sample in the window is no evidence that the CPU calmed down.
    later = now + timedelta(minutes=10)
    assert alerts.evaluate(later) == {"opened": 1, "closed": 0}  # the silent rule opens
    assert AlertEvent.objects.open().filter(rule__kind="cpu").exists()
    # Back, and calm: now it closes (and so does the silent alert).
    _samples(server, later, cpu=20.0)
    assert alerts.evaluate(later) == {"opened": 0, "closed": 2}
    assert not AlertEvent.objects.open().exists()


def test_retired_servers_are_not_evaluated_by_any_rule(server, admin_user):
    now = timezone.now()
    _samples(server, now, cpu=97.0, mem=97.0)
    ServerState.objects.filter(server=server).update(
        disk_percent=95.0, last_report_at=now - timedelta(minutes=5)
    )
    retire_server(server, actor=admin_user)
    assert alerts.evaluate(now) == {"opened": 0, "closed": 0}
    assert not AlertEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_retiring_a_server_closes_its_alerts_as_retired_not_resolved(
    server, admin_user, smtp_server, admin_client, celery_worker
):
    now = timezone.now()
    _samples(server, now, cpu=97.0)
    ServerState.objects.filter(server=server).update(disk_percent=95.0)
    assert alerts.evaluate(now) == {"opened": 2, "closed": 0}
    assert len(smtp_server.wait_for_count(2)) == 2

    retire_server(server, actor=admin_user)
    # Still above the thresholds, but no longer monitored: both close, with that reason.
    assert alerts.evaluate(now + timedelta(seconds=20)) == {"opened": 0, "closed": 2}
    assert set(AlertEvent.objects.values_list("close_reason", flat=True)) == {"server_retired"}
    closes = AuditEvent.objects.filter(action="monitoring.alert_closed")
    assert [event.details["reason"] for event in closes] == ["server_retired"] * 2
    messages = smtp_server.wait_for_count(4)
    assert len(messages) == 4
    for message in messages[2:]:
        assert b"Closed (server retired)" in message.content and b"Resolved" not in message.content
    page = admin_client.get("/monitoring/alerts/?show=all").content.decode()
    assert page.count("(server retired)") == 2 and "badge-critical" not in page
