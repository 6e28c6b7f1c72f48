"""Databases and roles through the API: the same services as the UI, 202 + job, 404 for others."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import ApiToken
from provisioning.databases.models import Database, DatabaseRole
from security.models import AuditEvent
from tests.api.conftest import create_database, make_token, token_client
from tests.provisioning.conftest import bulk_databases, run_jobs_inline


@pytest.fixture
def alice_db(alice_api, db_server):
    response = create_database(alice_api)
    run_jobs_inline()
    return Database.objects.get(pk=response.json()["database"]["id"])


def test_create_answers_202_with_the_job_and_the_password_once(alice_api, db_server):
    response = create_database(alice_api)
    assert response.status_code == 202
    body = response.json()
    assert body["database"]["name"] == "alice_shop" and body["database"]["state"] == "pending"
    assert body["password"] and body["password"] in body["connection"]
    assert response["Location"] == body["job"]
    job = alice_api.get(body["job"])
    assert job.status_code == 200
    assert [step["name"] for step in job.json()["steps"]]
    run_jobs_inline()
    assert alice_api.get(body["job"]).json()["state"] == "done"
    assert alice_api.get(f"/api/v1/databases/{body['database']['id']}/").json()["state"] == (
        "active"
    )
    event = AuditEvent.objects.get(action="database.created")
    token = ApiToken.objects.get()
    assert event.details["credential"] == token.pk and event.details["via"] == "api"
    assert event.actor == token.user


def test_bad_input_is_a_400_problem_and_creates_nothing(alice_api, db_server):
    missing = alice_api.post("/api/v1/databases/", {}, content_type="application/json")
    assert missing.status_code == 400
    assert missing["Content-Type"] == "application/problem+json"
    assert missing.json()["code"] == "invalid" and "name" in missing.json()["errors"]
    refused = create_database(alice_api, name="Robert'); DROP")
    assert refused.status_code == 400
    assert refused.json()["code"] != "invalid" or refused.json()["detail"]
    assert not Database.objects.exists()


def test_another_customer_gets_404_everywhere(alice_db, bob_api):
    paths = [
        f"/api/v1/databases/{alice_db.pk}/",
        f"/api/v1/databases/{alice_db.pk}/roles/",
    ]
    for path in paths:
        response = bob_api.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert bob_api.delete(f"/api/v1/databases/{alice_db.pk}/").status_code == 404
    assert bob_api.get("/api/v1/databases/").json()["results"] == []
    assert Database.objects.get(pk=alice_db.pk).state == "active"


def test_get_sends_an_etag_and_honours_if_none_match(alice_api, alice_db):
    first = alice_api.get(f"/api/v1/databases/{alice_db.pk}/")
    tag = first["ETag"]
    again = alice_api.get(f"/api/v1/databases/{alice_db.pk}/", HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304
    Database.objects.filter(pk=alice_db.pk).update(size_bytes=12345)
    changed = alice_api.get(f"/api/v1/databases/{alice_db.pk}/", HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200 and changed["ETag"] != tag


def test_an_idempotency_key_replays_the_first_answer(alice_api, db_server):
    first = create_database(alice_api, HTTP_IDEMPOTENCY_KEY="k1")
    second = create_database(alice_api, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == second.status_code == 202
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["database"] == first.json()["database"]
    assert second.json()["password"] is None  # passwords are never stored
    assert Database.objects.count() == 1
    other = create_database(alice_api, name="other", HTTP_IDEMPOTENCY_KEY="k1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    assert create_database(alice_api, name="other", HTTP_IDEMPOTENCY_KEY="k2").status_code == 202


def test_roles_reset_password_and_removal(alice_api, alice_db):
    base = f"/api/v1/databases/{alice_db.pk}/roles/"
    added = alice_api.post(
        base, {"name": "ro", "privilege": "readonly"}, content_type="application/json"
    )
    assert added.status_code == 202, added.content
    role_id = added.json()["role"]["id"]
    run_jobs_inline()
    reset = alice_api.post(f"{base}{role_id}/reset-password/", {}, content_type="application/json")
    assert reset.status_code == 202 and reset.json()["password"]
    run_jobs_inline()
    assert alice_api.delete(f"{base}{role_id}/").status_code == 202
    run_jobs_inline()
    assert not DatabaseRole.objects.filter(pk=role_id).exists()
    names = [r["name"] for r in alice_api.get(base).json()["results"]]
    assert names == ["alice_shop"]


def test_delete_answers_202_and_the_job_removes_it(alice_api, alice_db):
    response = alice_api.delete(f"/api/v1/databases/{alice_db.pk}/")
    assert response.status_code == 202 and response.json()["job"]
    run_jobs_inline()
    assert not Database.objects.filter(pk=alice_db.pk).exists()


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_lists_keep_their_query_count_as_rows_grow(alice_api, alice_account, db_server):
    alice_api.get("/api/v1/account/")  # the token's first use writes last_used once
    bulk_databases(alice_account, db_server, 2)
    few = {path: _queries(alice_api, path) for path in LISTS}
    for index, db in enumerate(Database.objects.filter(account=alice_account)):
        Database.objects.filter(pk=db.pk).update(name=f"alice_first{index}")
    more = bulk_databases(alice_account, db_server, 20)
    AuditEvent.objects.bulk_create(
        AuditEvent(action="database.created", account_id=alice_account.pk, target_label=db.name)
        for db in more
    )
    assert {path: _queries(alice_api, path) for path in LISTS} == few


LISTS = ["/api/v1/databases/", "/api/v1/jobs/", "/api/v1/audit-events/", "/api/v1/tokens/"]


def test_lists_page_by_cursor_and_filter(alice_api, alice_account, db_server):
    rows = bulk_databases(alice_account, db_server, 3)
    Database.objects.filter(pk=rows[0].pk).update(state="failed")
    page = alice_api.get("/api/v1/databases/?limit=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = alice_api.get(page["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    seen = {d["id"] for d in page["results"] + rest["results"]}
    assert seen == {db.pk for db in rows}
    failed = alice_api.get("/api/v1/databases/?state=failed").json()["results"]
    assert [d["id"] for d in failed] == [rows[0].pk]


def test_a_token_restricted_to_one_database_sees_only_it(alice_account, alice_db, db_server):
    other = bulk_databases(alice_account, db_server, 1)[0]
    client = token_client(make_token(alice_account.owner, objects=[f"databases:{alice_db.pk}"]))
    listed = [d["id"] for d in client.get("/api/v1/databases/").json()["results"]]
    assert listed == [alice_db.pk]
    assert client.get(f"/api/v1/databases/{other.pk}/").status_code == 404
    created = create_database(client, name="new")
    assert created.status_code == 403 and created.json()["code"] == "scope_missing"


def test_rate_limits_answer_429_with_retry_after(alice_api, settings):
    settings.API_RATE_LIMITS = {"credential": (2, 60), "address": (100, 60)}
    assert alice_api.get("/api/v1/account/").status_code == 200
    assert alice_api.get("/api/v1/account/").status_code == 200
    response = alice_api.get("/api/v1/account/")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1


def test_the_per_ip_limit_holds_across_tokens(alice_account, settings):
    settings.API_RATE_LIMITS = {"credential": (100, 60), "address": (2, 60)}
    for _ in range(2):
        assert (
            token_client(make_token(alice_account.owner)).get("/api/v1/account/").status_code == 200
        )
    response = token_client(make_token(alice_account.owner)).get("/api/v1/account/")
    assert response.status_code == 429 and response["Retry-After"]
