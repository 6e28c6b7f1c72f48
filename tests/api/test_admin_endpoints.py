"""Administrators' plans, servers, metrics, drift reports, alerts and audit log over the API."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from accounts.models import Plan
from monitoring import queries
from monitoring.alerts import ensure_default_rules
from monitoring.models import AlertEvent, AlertRule
from provisioning.engine.drift import run_drift_check
from provisioning.servers.models import Server
from security.models import AuditEvent
from tests.api.conftest import make_token, token_client

JSON = "application/json"


def post(client, path, body=None):
    return client.post(path, body or {}, content_type=JSON)


def patch(client, path, body):
    return client.patch(path, body, content_type=JSON)


PLAN = {
    "name": "Large",
    "description": "For shops",
    "max_databases": 20,
    "max_mailboxes": 50,
    "max_dns_zones": 10,
    "disk_quota_mb": 10240,
}


def test_plans_are_created_changed_and_deleted_with_the_pages_rules(admin_api, plan):
    created = post(admin_api, "/api/v1/admin/plans/", PLAN)
    assert created.status_code == 201 and created.json()["max_dns_zones"] == 10
    pk = created.json()["id"]
    changed = patch(admin_api, f"/api/v1/admin/plans/{pk}/", {"max_dns_zones": 12})
    assert changed.status_code == 200 and changed.json()["name"] == "Large"
    assert Plan.objects.get(pk=pk).max_dns_zones == 12
    assert AuditEvent.objects.filter(action__in=["plan.created", "plan.updated"]).count() == 2
    bad = post(admin_api, "/api/v1/admin/plans/", PLAN | {"name": "Two\nlines", "disk_quota_mb": 0})
    assert bad.status_code == 400 and {"name", "disk_quota_mb"} <= bad.json()["errors"].keys()
    duplicate = post(admin_api, "/api/v1/admin/plans/", PLAN)
    assert duplicate.status_code == 400 and "name" in duplicate.json()["errors"]
    assert admin_api.delete(f"/api/v1/admin/plans/{pk}/").status_code == 204
    assert not Plan.objects.filter(pk=pk).exists()


def test_a_plan_in_use_is_not_deleted(admin_api, alice_account):
    response = admin_api.delete(f"/api/v1/admin/plans/{alice_account.plan.pk}/")
    assert response.status_code == 409 and response.json()["code"] == "plan_in_use"
    assert Plan.objects.filter(pk=alice_account.plan.pk).exists()


def test_server_credentials_are_write_only_and_the_test_is_real(admin_api, target_pg):
    secret = target_pg.password
    body = {
        "name": "pg-2",
        "address": "127.0.0.1",
        "roles": ["database"],
        "database": {"port": target_pg.port, "user": "postgres", "sslmode": "disable"},
        "password": secret,
    }
    created = post(admin_api, "/api/v1/admin/servers/", body)
    assert created.status_code == 201, created.content
    server = Server.objects.get(name="pg-2")
    assert server.credentials_for("database") == {"password": secret}
    assert secret not in server.credentials_encrypted
    pk = created.json()["id"]
    shown = [
        created,
        admin_api.get(f"/api/v1/admin/servers/{pk}/"),
        admin_api.get("/api/v1/admin/servers/"),
    ]
    for response in shown:
        assert secret not in response.content.decode()
    assert created.json()["has_credentials"] is True
    assert created.json()["database"]["port"] == target_pg.port
    renamed = patch(admin_api, f"/api/v1/admin/servers/{pk}/", {"name": "pg-2b"})
    assert renamed.status_code == 200 and renamed.json()["database"]["port"] == target_pg.port
    assert Server.objects.get(pk=pk).credentials_for("database") == {"password": secret}
    check = post(admin_api, f"/api/v1/admin/servers/{pk}/test/")
    assert check.status_code == 200 and check.json()["ok"] is True, check.json()
    patch(admin_api, f"/api/v1/admin/servers/{pk}/", {"password": "wrong-password"})
    failed = post(admin_api, f"/api/v1/admin/servers/{pk}/test/").json()
    assert failed["ok"] is False and "wrong-password" not in failed["message"]
    retired = post(admin_api, f"/api/v1/admin/servers/{pk}/retire/")
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    again = post(admin_api, f"/api/v1/admin/servers/{pk}/retire/")
    assert again.status_code == 400 and "already retired" in again.json()["detail"]
    assert admin_api.get("/api/v1/admin/servers/?status=retired").json()["results"][0]["id"] == pk


def test_bad_server_input_is_refused_on_its_field(admin_api):
    missing = post(admin_api, "/api/v1/admin/servers/", {"roles": ["database"]})
    assert missing.status_code == 400 and {"name", "address"} <= missing.json()["errors"].keys()
    bad_role = post(
        admin_api, "/api/v1/admin/servers/", {"name": "x", "address": "h", "roles": ["ftp"]}
    )
    assert bad_role.status_code == 400 and "roles" in bad_role.json()["errors"]
    assert admin_api.get("/api/v1/admin/servers/?role=ftp").status_code == 400
    assert not Server.objects.exists()


def test_metrics_have_the_dashboards_bounded_resolution(admin_api, db_server):
    response = admin_api.get(f"/api/v1/admin/servers/{db_server.pk}/metrics/?range=7d")
    assert response.status_code == 200
    body = response.json()
    plan = queries.plan_for("7d", timezone.now())
    assert (body["resolution"], body["bucket_seconds"]) == (plan.resolution, plan.bucket_seconds)
    assert body["series"]["t"] == [] and "cpu_percent" in body["series"]
    bad = admin_api.get(f"/api/v1/admin/servers/{db_server.pk}/metrics/?range=1y")
    assert bad.status_code == 400 and "range" in bad.json()["errors"]


def test_drift_reports_run_on_a_worker_and_list_their_findings(
    admin_api, admin_user, db_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        started = post(admin_api, "/api/v1/admin/drift-reports/")
    assert started.status_code == 202 and len(callbacks) == 1
    assert started["Location"].endswith("/api/v1/admin/drift-reports/")
    report = run_drift_check(actor=admin_user)  # what the worker's task runs
    listed = admin_api.get("/api/v1/admin/drift-reports/").json()["results"]
    assert [r["id"] for r in listed] == [report.pk]
    assert listed[0]["findings"] == report.findings.count()
    detail = admin_api.get(f"/api/v1/admin/drift-reports/{report.pk}/").json()
    assert len(detail["findings"]) == report.findings.count()


def test_alert_rules_are_edited_with_the_pages_form_and_events_listed(admin_api, db_server):
    ensure_default_rules()
    rule = AlertRule.objects.get(kind="cpu")
    changed = patch(admin_api, f"/api/v1/admin/alert-rules/{rule.pk}/", {"threshold": 95})
    assert changed.status_code == 200 and changed.json()["threshold"] == 95
    event = AuditEvent.objects.get(action="monitoring.alert_rule_updated")
    assert event.details["new"] == {"threshold": 95.0}
    bad = patch(admin_api, f"/api/v1/admin/alert-rules/{rule.pk}/", {"threshold": 150})
    assert bad.status_code == 400 and "threshold" in bad.json()["errors"]
    now = timezone.now()
    AlertEvent.objects.create(rule=rule, server=db_server, opened_at=now, message="CPU high")
    AlertEvent.objects.create(
        rule=rule, server=db_server, opened_at=now, closed_at=now, message="CPU was high"
    )
    assert len(admin_api.get("/api/v1/admin/alert-events/").json()["results"]) == 2
    (open_one,) = admin_api.get("/api/v1/admin/alert-events/?open=true").json()["results"]
    assert open_one["message"] == "CPU high" and open_one["server"] == db_server.name


def test_the_audit_log_filters_and_exports_csv(admin_api, alice_account):
    AuditEvent.objects.create(action="plan.created", actor_label="=cmd|' /C calc'!A0")
    AuditEvent.objects.create(action="database.created", account_id=alice_account.pk)
    plans = admin_api.get("/api/v1/admin/audit-events/?action=plan.").json()["results"]
    assert {e["action"] for e in plans} == {"plan.created"}
    bad = admin_api.get("/api/v1/admin/audit-events/?since=yesterday")
    assert bad.status_code == 400 and "since" in bad.json()["errors"]
    exported = admin_api.get("/api/v1/admin/audit-events/export/?action=plan.")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert rows[0][:2] == ["created_at", "action"] and len(rows) == 2
    assert rows[1][1] == "plan.created" and rows[1][2].startswith("'=")
    assert admin_api.get("/api/v1/admin/audit-events/export/?since=x").status_code == 400


@pytest.mark.parametrize("path", ["plans/", "servers/", "drift-reports/", "audit-events/"])
def test_a_customer_and_an_admin_token_without_the_admin_scope_get_403(path, alice_api, admin_user):
    assert alice_api.get("/api/v1/admin/" + path).status_code == 403
    no_admin = token_client(make_token(admin_user, {"databases": "write"}))
    response = no_admin.get("/api/v1/admin/" + path)
    assert response.status_code == 403 and response.json()["code"] == "scope_missing"
