"""POST /api/agent/v1/metrics and /register: authentication, strict validation, storage."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from hearth_agent.transport import parse_response

from monitoring import services
from monitoring.models import AgentKey, EnrolmentToken, Sample, ServerState
from provisioning.models import Server
from provisioning.servers.choices import ServerStatus
from provisioning.servers.services import retire_server
from tests.monitoring.conftest import make_key, make_server, now_ts, report, sample

URL = "/api/agent/v1/metrics"


def post(client, body, key: str | None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.post(URL, data=data, content_type="application/json", **headers)


def test_a_valid_report_is_stored_once(client, server, agent_key):
    body = report(server, [now_ts(-20), now_ts(-10)])
    response = post(client, body, agent_key)
    assert response.status_code == 200
    assert response.json() == {"accepted": 2, "stored": 2}
    # The same batch again (e.g. the answer was lost): accepted, nothing duplicated.
    assert post(client, body, agent_key).json() == {"accepted": 2, "stored": 0}
    assert Sample.objects.filter(server=server).count() == 2
    row = Sample.objects.filter(server=server).order_by("ts").first()
    assert row.cpu_percent == 12.5 and row.mem_percent == 50.0 and row.disk_percent == 40.0
    assert row.detail["filesystems"][0]["mount"] == "/"
    state = ServerState.objects.get(server=server)
    assert state.cpu_percent == 12.5 and state.interval_seconds == 10


def _with(mutate):
    def build(server):
        body = report(server, [now_ts(-5)])
        mutate(body)
        return body

    return build


def _set(path, value):
    def mutate(body):
        target = body
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return _with(mutate)


def _drop(path):
    def mutate(body):
        target = body
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return _with(mutate)


S0 = ("samples", 0)
BAD_INPUT = {
    "malformed JSON": (lambda server: b'{"server": 1, "samples": [', 400),
    "not an object": (lambda server: b"[1, 2, 3]", 400),
    "wrong type for cpu": (_set((*S0, "cpu", "percent"), "high"), 400),
    "boolean as a number": (_set((*S0, "memory", "total"), True), 400),
    "string server id": (_set(("server",), "1"), 400),
    "missing memory": (_drop((*S0, "memory")), 400),
    "missing samples": (_drop(("samples",)), 400),
    "unknown field": (_set(("extra",), 1), 400),
    "negative value": (_set((*S0, "disk", "read_bps"), -1.0), 400),
    "percent above 100": (_set((*S0, "cpu", "percent"), 100.5), 400),
    "NaN": (
        lambda server: json.dumps(report(server, [now_ts()])).replace("12.5", "NaN", 1).encode(),
        400,
    ),
    "Infinity": (
        lambda server: (
            json.dumps(report(server, [now_ts()])).replace("12.5", "Infinity", 1).encode()
        ),
        400,
    ),
    "used above total": (_set((*S0, "memory", "used"), 5_000_000_000), 400),
    "too many interfaces": (
        _set(
            (*S0, "network", "interfaces"),
            [
                {
                    "name": f"e{i}",
                    "rx_bps": 1,
                    "tx_bps": 1,
                    "rx_pps": 1,
                    "tx_pps": 1,
                    "errors_in": 0,
                    "errors_out": 0,
                }
                for i in range(65)
            ],
        ),
        400,
    ),
    "huge batch": (lambda server: report(server, [now_ts(-i) for i in range(501)]), 400),
    "empty batch": (_set(("samples",), []), 400),
    "future timestamp": (lambda server: report(server, [now_ts(3600)]), 400),
    "ancient timestamp": (lambda server: report(server, [now_ts(-30 * 86400)]), 400),
    "another server's id": ("other", 403),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_is_rejected_and_nothing_is_stored(client, server, agent_key, case):
    build, status = BAD_INPUT[case]
    if build == "other":
        body = report(make_server("other"), [now_ts()])
    else:
        body = build(server)
    response = post(client, body, agent_key)
    assert response.status_code == status, response.content
    assert "error" in response.json()
    assert Sample.objects.count() == 0
    assert not ServerState.objects.exists()


def test_an_oversized_body_is_refused_before_parsing(client, server, agent_key, settings):
    settings.MONITORING_MAX_BODY_BYTES = 2048
    body = report(server, [now_ts(-i) for i in range(20)])
    response = post(client, body, agent_key)
    assert response.status_code == 413
    # Garbage is refused the same way: the size check comes before JSON parsing.
    assert post(client, b"x" * 4096, agent_key).status_code == 413
    assert Sample.objects.count() == 0


@pytest.mark.parametrize("key", [None, "hak_unknown", "Basic abc"])
def test_missing_or_unknown_key_is_401(client, server, agent_key, key):
    response = post(client, report(server, [now_ts()]), key)
    assert response.status_code == 401
    assert Sample.objects.count() == 0


def test_a_revoked_key_is_401(client, server, agent_key):
    services.revoke_agent_key(AgentKey.objects.get(server=server), actor=None)
    assert post(client, report(server, [now_ts()]), agent_key).status_code == 401
    assert Sample.objects.count() == 0


def test_retiring_a_server_revokes_its_agent_key_at_once(client, server, agent_key):
    assert post(client, report(server, [now_ts(-10)]), agent_key).status_code == 200
    retire_server(server, actor=None)
    assert AgentKey.objects.get(server=server).revoked_at is not None
    response = post(client, report(server, [now_ts()]), agent_key)
    assert response.status_code == 401
    assert Sample.objects.filter(server=server).count() == 1


def test_a_key_of_a_server_retired_behind_the_services_back_is_401(client, server, agent_key):
    # A bulk update sends no signal: the key lookup itself refuses keys of retired servers.
    Server.objects.filter(pk=server.pk).update(status=ServerStatus.RETIRED)
    assert AgentKey.objects.get(server=server).revoked_at is None
    assert post(client, report(server, [now_ts()]), agent_key).status_code == 401
    assert Sample.objects.count() == 0


def test_re_enrolling_revokes_the_previous_key(client, server, agent_key):
    new_key = make_key(server)
    assert post(client, report(server, [now_ts()]), agent_key).status_code == 401
    assert post(client, report(server, [now_ts()]), new_key).status_code == 200


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


def test_register_exchanges_a_token_once(client, server):
    _, token = services.create_enrolment_token(server, actor=None)
    url = "/api/agent/v1/register"
    response = client.post(
        url, {"token": token, "hostname": "web1"}, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["server"] == server.pk and body["key"].startswith("hak_")
    assert EnrolmentToken.objects.get().used_at is not None
    again = client.post(url, {"token": token}, content_type="application/json")
    assert again.status_code == 401
    assert AgentKey.objects.count() == 1


def test_an_expired_token_is_refused(client, server):
    token, plain = services.create_enrolment_token(server, actor=None)
    EnrolmentToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.post(
        "/api/agent/v1/register", {"token": plain}, content_type="application/json"
    )
    assert response.status_code == 401
    assert not AgentKey.objects.exists()


def test_register_rejects_malformed_bodies(client):
    url = "/api/agent/v1/register"
    assert client.post(url, b"{", content_type="application/json").status_code == 400
    assert client.post(url, {"token": 5}, content_type="application/json").status_code == 400


REGISTER_URL = "/api/agent/v1/register"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_the_agent_api_refuses_json_not_declared_as_json(client, server, agent_key, content_type):
    body = json.dumps(report(server, [now_ts()]))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {agent_key}"}
    response = client.post(URL, data=body, content_type=content_type, **auth)
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]
    _, token = services.create_enrolment_token(server, actor=None)
    answer = client.post(REGISTER_URL, json.dumps({"token": token}), content_type=content_type)
    assert answer.status_code == 415
    assert Sample.objects.count() == 0 and AgentKey.objects.count() == 1
    # With its charset, the same report is accepted.
    ok = client.post(URL, data=body, content_type="application/json; charset=utf-8", **auth)
    assert ok.status_code == 200


def test_deep_nesting_is_a_clear_400(client, server, agent_key):
    response = post(client, b"[" * 50_000, agent_key)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]
    answer = client.post(REGISTER_URL, b"[" * 4000, content_type="application/json")
    assert answer.status_code == 400
    # Nesting that json parses but no report needs is refused too.
    assert post(client, b"[" * 100 + b"]" * 100, agent_key).status_code == 400
    assert Sample.objects.count() == 0


def _with_text(server, text: str) -> dict:
    body = report(server, [now_ts()])
    body["samples"][0]["disk"]["filesystems"][0]["mount"] = text
    return body


@pytest.mark.parametrize(
    "text,message",
    [("/srv\x00x", "NUL"), ("/srv\ud800", "surrogates"), ("\udcff", "surrogates")],
    ids=["nul", "high-surrogate", "low-surrogate"],
)
def test_nul_or_lone_surrogate_in_agent_json_is_a_clear_400(
    client, server, agent_key, text, message
):
    for body in (_with_text(server, text), {**report(server, [now_ts()]), "agent_version": text}):
        response = post(client, body, agent_key)  # json.dumps writes \u0000 / \ud800 escapes
        assert response.status_code == 400
        assert message in response.json()["error"]
    bad_key = json.dumps(report(server, [now_ts()])).replace('"cpu"', json.dumps(text), 1)
    assert post(client, bad_key.encode(), agent_key).status_code == 400
    _, token = services.create_enrolment_token(server, actor=None)
    answer = client.post(
        REGISTER_URL, {"token": token, "hostname": text}, content_type="application/json"
    )
    assert answer.status_code == 400 and message in answer.json()["error"]
    assert Sample.objects.count() == 0 and AgentKey.objects.count() == 1


def test_sample_helper_matches_the_agent_format():
    # Guard: the test payload uses exactly the agent's keys.
    from hearth_agent.collectors import Collectors

    real = Collectors().sample(now_ts())
    fake = sample(now_ts())
    assert set(real) == set(fake)
    for section in ("cpu", "memory", "disk", "network"):
        assert set(real[section]) == set(fake[section])


def test_a_sample_on_a_day_without_partition_gets_one(client, server, agent_key):
    from monitoring import storage

    day = (timezone.now() - timedelta(days=5)).date()
    with connection.cursor() as cursor:
        cursor.execute("SELECT monitoring_drop_sample_partition(%s)", [day])
    ts = now_ts(-5 * 86400)
    if datetime.fromtimestamp(ts, UTC).date() != day:
        ts = datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()
    response = post(client, report(server, [ts]), agent_key)
    assert response.status_code == 200 and response.json()["stored"] == 1
    assert day in storage.existing_partitions()


def _raw_post(url: str, head: list[str], body: bytes) -> tuple[int, dict]:
    """One HTTP/1.1 request over a plain socket (to send what test clients cannot)."""
    parts = urlsplit(url)
    request = "\r\n".join([f"POST {URL} HTTP/1.1", f"Host: {parts.netloc}", *head]) + "\r\n\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request.encode() + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    status, raw = parse_response(b"".join(chunks))
    return status, json.loads(raw)


def _chunked(body: bytes, size: int = 1024) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_without_length_is_refused_unread(live_server, settings):
    """The 413 check cannot be sidestepped by leaving out Content-Length."""
    settings.MONITORING_MAX_BODY_BYTES = 2048
    server = make_server("chunky")
    key = make_key(server)
    head = [
        "Transfer-Encoding: chunked",
        "Content-Type: application/json",
        f"Authorization: Bearer {key}",
        "Connection: close",
    ]
    oversized = json.dumps(report(server, [now_ts(-i) for i in range(20)])).encode()
    small = json.dumps(report(server, [now_ts(-1)])).encode()
    assert len(oversized) > 2048 > len(small)
    for body in (oversized, small):
        status, answer = _raw_post(live_server.url, head, _chunked(body))
        assert status == 411
        assert "Content-Length" in answer["error"]
    assert Sample.objects.count() == 0
    # The same small report with its length is accepted: the refusal is about the framing.
    status, _ = _raw_post(live_server.url, [*head[1:], f"Content-Length: {len(small)}"], small)
    assert status == 200 and Sample.objects.count() == 1
