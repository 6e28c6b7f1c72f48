"""Ingestion as production runs it (panel.wsgi): the lean agent path and its round trips.

Transactional tests, so no test transaction adds savepoints to the queries counted.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from wsgiref.util import setup_testing_defaults

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring import services, storage
from monitoring.models import AgentKey, Sample, ServerState
from panel.wsgi import application
from provisioning.servers.models import Server
from tests.monitoring.conftest import make_key, make_server, now_ts, report

pytestmark = pytest.mark.django_db(transaction=True)


def call(path: str, body: bytes = b"", *, key="", method="POST", host="testserver"):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "HTTP_HOST": host,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if key:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    content = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], content


def post_report(key: str, body: dict):
    return call("/api/agent/v1/metrics", json.dumps(body).encode(), key=key)


def _other_servers(count: int) -> None:
    """COUNT servers that already report: a state row and a stored sample each."""
    now = timezone.now()
    servers = Server.objects.bulk_create(
        Server(name=f"busy{n}", address=f"busy{n}.example.test") for n in range(count)
    )
    ServerState.objects.bulk_create(
        ServerState(server=s, last_report_at=now, last_sample_at=now, cpu_percent=1.0)
        for s in servers
    )
    ts = now - timedelta(seconds=30)
    storage.insert_samples([{"server_id": s.pk, "ts": ts, "cpu_percent": 1.0} for s in servers])


@pytest.mark.parametrize("rows", [10, 1000])
def test_a_report_costs_one_round_trip_whatever_the_table_holds(rows):
    _other_servers(rows)
    server = make_server()
    key = make_key(server)
    with CaptureQueriesContext(connection) as first:
        status, _, content = post_report(key, report(server, [now_ts(-20)]))
    assert status == 200 and json.loads(content) == {"accepted": 1, "stored": 1}
    assert len(first) == 2  # the key, once per process; then the one write
    with CaptureQueriesContext(connection) as later:
        status, _, _ = post_report(key, report(server, [now_ts(-10)]))
    assert status == 200
    assert len(later) == 1, [q["sql"][:80] for q in later]
    assert "INSERT INTO monitoring_sample" in later[0]["sql"]  # logged, though prepared
    assert Sample.objects.filter(server=server).count() == 2
    assert ServerState.objects.count() == rows + 1


@pytest.mark.parametrize("samples", [10, 500])
def test_a_batch_is_one_statement_and_a_re_send_stores_nothing_twice(samples):
    server = make_server()
    key = make_key(server)
    body = report(server, [now_ts(-600 + i) for i in range(samples)])
    post_report(key, report(server, [now_ts(-700)]))  # the key is known from here on
    with CaptureQueriesContext(connection) as queries:
        status, _, content = post_report(key, body)
    assert status == 200 and json.loads(content) == {"accepted": samples, "stored": samples}
    assert len(queries) == 1
    # The same batch again (its answer was lost): accepted, nothing stored twice.
    assert json.loads(post_report(key, body)[2]) == {"accepted": samples, "stored": 0}
    assert Sample.objects.filter(server=server).count() == samples + 1


def test_a_key_revoked_after_it_was_cached_is_refused_at_once():
    server = make_server()
    key = make_key(server)
    assert post_report(key, report(server, [now_ts(-20)]))[0] == 200  # cached from here on
    services.revoke_agent_key(AgentKey.objects.get(server=server), actor=None)
    status, _, content = post_report(key, report(server, [now_ts(-10)]))
    assert status == 401 and "revoked" in json.loads(content)["error"]
    assert Sample.objects.filter(server=server).count() == 1
    state = ServerState.objects.get(server=server)
    assert state.last_sample_at.timestamp() == pytest.approx(now_ts(-20), abs=2)


def test_the_agent_path_skips_the_page_middleware_and_the_rest_keeps_it():
    server = make_server()
    key = make_key(server)
    status, headers, _ = post_report(key, report(server, [now_ts(-5)]))
    assert status == 200
    assert "X-Request-ID" in headers  # request ids still tie logs together
    assert "Content-Security-Policy" not in headers and "Set-Cookie" not in headers
    status, headers, _ = call("/healthz", method="GET")
    assert status == 200 and "Content-Security-Policy" in headers
    # Only agent URLs resolve on the lean path.
    assert call("/api/agent/v1/elsewhere", b"{}", key=key)[0] == 404


def test_the_agent_path_validates_the_host_header():
    server = make_server()
    key = make_key(server)
    body = json.dumps(report(server, [now_ts(-5)])).encode()
    assert call("/api/agent/v1/metrics", body, key=key, host="evil.example")[0] == 400
    assert not Sample.objects.filter(server=server).exists()


def _prepared_ingest_statements() -> list[tuple[str, int]]:
    """This session's prepared statements that write samples, with their executions."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, generic_plans + custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ["%INSERT INTO monitoring_sample%"],
        )
        return cursor.fetchall()


def test_the_report_statement_is_prepared_once_per_session_and_reused():
    connection.close()  # a new session, without what earlier tests prepared
    server = make_server()
    key = make_key(server)
    for offset in (-30, -20, -10):
        assert post_report(key, report(server, [now_ts(offset)]))[0] == 200
    (name, executions), *others = _prepared_ingest_statements()
    assert not others and executions == 3  # parsed once, executed three times
    assert Sample.objects.filter(server=server).count() == 3


def test_behind_pgbouncer_nothing_is_prepared(settings):
    settings.DATABASE_PGBOUNCER = True
    connection.close()  # a new session, without what earlier tests prepared
    server = make_server()
    key = make_key(server)
    for offset in (-20, -10):
        assert post_report(key, report(server, [now_ts(offset)]))[0] == 200
    assert _prepared_ingest_statements() == []
    assert Sample.objects.filter(server=server).count() == 2
