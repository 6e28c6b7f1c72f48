"""Administrators' resources: every account, for the admin scope only, without N+1."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from security.models import AuditEvent
from tests.api.conftest import create_database
from tests.conftest import _verified_customer
from tests.provisioning.conftest import run_jobs_inline


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_admins_list_every_account_in_a_fixed_number_of_queries(admin_api, alice_account, plan):
    admin_api.get("/api/v1/admin/accounts/")  # the token's first use notes last_used
    few = _count(admin_api, "/api/v1/admin/accounts/")
    for index in range(5):
        _verified_customer(f"Shop {index}", f"shop{index}", plan)
    assert _count(admin_api, "/api/v1/admin/accounts/") == few
    prefixes = [a["prefix"] for a in admin_api.get("/api/v1/admin/accounts/").json()["results"]]
    assert len(prefixes) == 6 and "alice" in prefixes
    one = admin_api.get("/api/v1/admin/accounts/?prefix=alice").json()["results"]
    assert [a["owner"] for a in one] == ["alice@example.test"]


def test_customers_cannot_reach_admin_resources(alice_api, alice_account):
    response = alice_api.get(f"/api/v1/admin/accounts/{alice_account.pk}/")
    assert response.status_code == 403 and response.json()["code"] == "admin_required"


def test_an_admin_retries_a_failed_job_through_the_api(
    admin_api, alice_api, alice_account, db_server, target_pg
):
    target_pg.query("CREATE DATABASE alice_shop")  # in the way: the job fails
    job_url = create_database(alice_api).json()["job"]
    run_jobs_inline()
    job = alice_api.get(job_url).json()
    assert job["state"] == "failed"
    assert alice_api.post(f"/api/v1/admin/jobs/{job['id']}/retry/").status_code == 403
    target_pg.query("DROP DATABASE alice_shop")
    retried = admin_api.post(f"/api/v1/admin/jobs/{job['id']}/retry/")
    assert retried.status_code == 202 and retried.json()["state"] == "pending"
    run_jobs_inline()
    assert alice_api.get(job_url).json()["state"] == "done"
    again = admin_api.post(f"/api/v1/admin/jobs/{job['id']}/retry/")
    assert again.status_code == 409 and again.json()["code"] == "job_state"
    assert again["Content-Type"] == "application/problem+json"
    assert AuditEvent.objects.filter(action="job.retried").count() == 1
