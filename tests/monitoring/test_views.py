"""Monitoring pages: access, overview query count, server page, enrolment, export, rules."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from monitoring import storage
from monitoring.models import AgentKey, AlertEvent, AlertRule, EnrolmentToken, ServerState
from provisioning.servers.models import Server
from security.models import AuditEvent
from tests.monitoring.conftest import make_key, make_server


def _give_state(server, cpu=10.0, age_seconds=5):
    now = timezone.now()
    ServerState.objects.create(
        server=server,
        last_report_at=now - timedelta(seconds=age_seconds),
        last_sample_at=now - timedelta(seconds=age_seconds),
        cpu_percent=cpu,
        mem_percent=50.0,
        disk_percent=30.0,
    )


@pytest.mark.parametrize(
    "path",
    [
        "/monitoring/",
        "/monitoring/servers/{pk}/",
        "/monitoring/servers/{pk}/data.json",
        "/monitoring/servers/{pk}/export.csv",
        "/monitoring/alerts/",
        "/monitoring/alerts/rules/",
    ],
)
def test_pages_are_for_admins_only(client, alice_account, server, path):
    url = path.format(pk=server.pk)
    assert client.get(url).status_code == 302  # anonymous → login
    client.force_login(alice_account.owner)
    assert client.get(url).status_code == 403


def test_overview_shows_status_figures_and_sorts(admin_client):
    busy, idle, silent = make_server("busy"), make_server("idle"), make_server("silent")
    _give_state(busy, cpu=95.0)
    _give_state(idle, cpu=3.0)
    _give_state(silent, cpu=50.0, age_seconds=3600)
    make_server("fresh")
    page = admin_client.get("/monitoring/?sort=cpu").content.decode()
    assert page.index("busy") < page.index("silent") < page.index("idle") < page.index("fresh")
    assert "95.0 %" in page and "Offline" in page and "Online" in page and "No agent" in page


def test_overview_query_count_is_constant(admin_client, django_assert_num_queries):
    rule = AlertRule.objects.get(kind="cpu")
    for n in range(3):
        server = make_server(f"s{n}")
        _give_state(server)
        AlertEvent.objects.create(rule=rule, server=server, opened_at=timezone.now(), message="x")
    with django_assert_num_queries(4):
        admin_client.get("/monitoring/")
    for n in range(3, 30):
        server = make_server(f"s{n}")
        _give_state(server)
        AlertEvent.objects.create(rule=rule, server=server, opened_at=timezone.now(), message="x")
    with django_assert_num_queries(4):
        response = admin_client.get("/monitoring/?sort=alerts")
    assert response.content.decode().count("1 critical") == 30


def test_overview_pages_past_fifty_servers_and_keeps_the_sort(admin_client):
    Server.objects.bulk_create(
        Server(name=f"n{n:02d}", address=f"n{n:02d}.example.test") for n in range(55)
    )
    first = admin_client.get("/monitoring/?sort=name").content.decode()
    assert "n49" in first and "n50" not in first
    assert "Page 1 of 2" in first and 'href="?sort=name&amp;page=2"' in first
    second = admin_client.get("/monitoring/?sort=name&page=2").content.decode()
    assert "n50" in second and "n54" in second and "n49" not in second


def test_overview_empty_state(admin_client):
    assert "No servers yet" in admin_client.get("/monitoring/").content.decode()


def test_server_page_has_four_charts_and_no_inline_script(admin_client, server):
    page = admin_client.get(f"/monitoring/servers/{server.pk}/").content.decode()
    for chart in ("cpu", "memory", "disk", "network"):
        assert f'data-chart="{chart}"' in page
    assert "js/monitoring.js" in page and "vendor/chart.umd.js" in page
    assert "<script>" not in page and 'style="' not in page
    assert "Enrol agent" in page


def test_enrolment_token_is_shown_once_and_stored_hashed(admin_client, server):
    response = admin_client.post(f"/monitoring/servers/{server.pk}/enrol/")
    page = response.content.decode()
    assert "hearth-agent register --url http://testserver --token het_" in page
    plain = page.split("--token ")[1].split("<")[0].strip()
    token = EnrolmentToken.objects.get(server=server)
    assert token.token_hash != plain and plain not in str(EnrolmentToken.objects.values())
    assert timedelta(hours=23) < token.expires_at - timezone.now() <= timedelta(hours=24)
    assert plain not in admin_client.get(f"/monitoring/servers/{server.pk}/").content.decode()
    assert AuditEvent.objects.filter(action="monitoring.enrolment_token_created").exists()


def test_revoking_a_key(admin_client, server):
    make_key(server)
    key = AgentKey.objects.get(server=server)
    response = admin_client.post(f"/monitoring/servers/{server.pk}/keys/{key.pk}/revoke/")
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert AuditEvent.objects.filter(action="monitoring.agent_key_revoked").exists()


def test_data_without_samples_says_so(admin_client, server):
    body = admin_client.get(f"/monitoring/servers/{server.pk}/data.json?range=1h").json()
    assert body["series"]["t"] == [] and body["online"] is False and body["last_report"] is None


def test_csv_export_streams_the_chosen_range_and_resolution(admin_client, server):
    now = timezone.now().replace(microsecond=0)
    storage.copy_samples(
        [
            {"server_id": server.pk, "ts": now - timedelta(minutes=m), "cpu_percent": float(m)}
            for m in range(1, 121)
        ]
    )
    response = admin_client.get(
        f"/monitoring/servers/{server.pk}/export.csv?range=1h&resolution=raw"
    )
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["ts", "cpu_percent"]
    assert len(rows) == 1 + 59  # minutes 1..59 are within the last hour
    assert [float(r[1]) for r in rows[1:]] == [float(m) for m in range(59, 0, -1)]
    bad = admin_client.get(f"/monitoring/servers/{server.pk}/export.csv?range=2y")
    assert bad.status_code == 302


def test_csv_export_names_the_file_for_any_server_name(admin_client):
    plain = make_server("web2")
    response = admin_client.get(
        f"/monitoring/servers/{plain.pk}/export.csv?range=1h&resolution=hour"
    )
    assert response["Content-Disposition"] == 'attachment; filename="web2-1h-hour.csv"'
    odd = Server.objects.create(name='Café "main"', address="cafe.example.test")
    response = admin_client.get(f"/monitoring/servers/{odd.pk}/export.csv?range=1h&resolution=hour")
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Caf%C3%A9%20%22main%22-1h-hour.csv"
    )


def test_admin_edits_an_alert_rule(admin_client):
    rule = AlertRule.objects.get(kind="cpu")
    url = f"/monitoring/alerts/rules/{rule.pk}/edit/"
    bad = admin_client.post(url, {"name": rule.name, "threshold": 150, "duration_seconds": 60})
    assert bad.status_code == 200 and "between 0 and 100" in bad.content.decode()
    ok = admin_client.post(
        url, {"name": rule.name, "threshold": 80, "duration_seconds": 120, "enabled": "on"}
    )
    assert ok.status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == 80 and rule.duration_seconds == 120
    event = AuditEvent.objects.get(action="monitoring.alert_rule_updated")
    assert event.details["new"]["threshold"] == 80


def test_rules_on_the_latest_report_have_no_duration_to_edit(admin_client):
    rule = AlertRule.objects.get(kind="disk")
    url = f"/monitoring/alerts/rules/{rule.pk}/edit/"
    assert 'name="duration_seconds"' not in admin_client.get(url).content.decode()
    data = {"name": rule.name, "threshold": 85, "duration_seconds": 600, "enabled": "on"}
    assert admin_client.post(url, data).status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == 85 and rule.duration_seconds == 0
    cpu = AlertRule.objects.get(kind="cpu")
    page = admin_client.get(f"/monitoring/alerts/rules/{cpu.pk}/edit/").content.decode()
    assert 'name="duration_seconds"' in page


def test_default_rules_exist_and_are_listed(admin_client):
    page = admin_client.get("/monitoring/alerts/rules/").content.decode()
    assert set(AlertRule.objects.values_list("kind", flat=True)) == {
        "cpu",
        "memory",
        "disk",
        "silent",
    }
    assert "CPU above 90 % for 5 minutes" in page and "Agent silent" in page


def test_sidebar_has_monitoring_for_admins_only(admin_client, alice_account):
    assert 'href="/monitoring/"' in admin_client.get("/monitoring/alerts/").content.decode()
    customer = Client()
    customer.force_login(alice_account.owner)
    assert 'href="/monitoring/"' not in customer.get("/", follow=True).content.decode()


def test_alert_list_query_count_is_constant(admin_client, django_assert_num_queries):
    rule = AlertRule.objects.get(kind="disk")
    for n in range(2):
        AlertEvent.objects.create(
            rule=rule, server=make_server(f"a{n}"), opened_at=timezone.now(), message=f"m{n}"
        )
    with django_assert_num_queries(4):
        admin_client.get("/monitoring/alerts/?show=all")
    for n in range(2, 25):
        AlertEvent.objects.create(
            rule=rule, server=make_server(f"a{n}"), opened_at=timezone.now(), message=f"m{n}"
        )
    with django_assert_num_queries(4):
        response = admin_client.get("/monitoring/alerts/?show=all")
    assert response.content.decode().count('badge-critical">Critical') == 25


def test_deleting_a_server_removes_its_samples(server, agent_key):
    storage.insert_samples([{"server_id": server.pk, "ts": timezone.now(), "cpu_percent": 1.0}])
    server.delete()
    from monitoring.models import Sample

    assert not Sample.objects.exists() and not AgentKey.objects.exists()
