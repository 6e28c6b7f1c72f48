"""The agent API in the OpenAPI schema: what the real agent sends and the view answers fit it."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hearth_agent.collectors import Collectors

from monitoring import services
from tests.monitoring.conftest import make_key, make_server, now_ts

METRICS = "/api/agent/v1/metrics"
REGISTER = "/api/agent/v1/register"


@pytest.fixture
def schema(client, db):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    return response.json()


def conforms(schema: dict, component: str, value) -> None:
    document = {"$ref": f"#/components/schemas/{component}", "components": schema["components"]}
    jsonschema.Draft202012Validator(document).validate(value)


def answer_conforms(schema: dict, path: str, response) -> None:
    documented = schema["paths"][path]["post"]["responses"]
    assert str(response.status_code) in documented, response.status_code
    ref = documented[str(response.status_code)]["content"]["application/json"]["schema"]["$ref"]
    conforms(schema, ref.rsplit("/", 1)[1], response.json())


def agent_post(client, body, key=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(
        METRICS, data, content_type=extra.pop("content_type", "application/json"), **headers
    )


def test_both_agent_operations_are_in_the_schema(schema):
    assert schema["paths"][REGISTER]["post"]["operationId"] == "agent_register"
    assert schema["paths"][METRICS]["post"]["security"] == [{"agentKey": []}]
    assert "4XX" not in schema["paths"][METRICS]["post"]["responses"]  # not problem+json


def test_what_the_real_agent_sends_fits_and_the_answers_fit(schema, client, db):
    server = make_server()
    _, token = services.create_enrolment_token(server, actor=None)
    registration = {"token": token, "hostname": "web1", "agent_version": "1.0"}
    conforms(schema, "AgentRegistration", registration)
    registered = client.post(REGISTER, registration, content_type="application/json")
    assert registered.status_code == 201
    answer_conforms(schema, REGISTER, registered)
    collectors = Collectors()
    collectors.sample(now_ts(-10))
    report = {"server": server.pk, "interval": 10, "samples": [collectors.sample(now_ts())]}
    conforms(schema, "AgentReport", report)
    stored = agent_post(client, report, registered.json()["key"])
    assert stored.status_code == 200 and stored.json() == {"accepted": 1, "stored": 1}
    answer_conforms(schema, METRICS, stored)


def test_each_documented_error_answers_as_described(schema, client, db, settings):
    server, other = make_server("web1"), make_server("web2")
    key = make_key(server)
    good = {"server": server.pk, "samples": [Collectors().sample(now_ts())]}
    unknown_field = {**good, "samples": [{**good["samples"][0], "gpu": 1}]}
    with pytest.raises(jsonschema.ValidationError):
        conforms(schema, "AgentReport", unknown_field)  # the schema refuses it, as the view does
    cases = {
        400: agent_post(client, unknown_field, key),
        401: agent_post(client, good, "not-a-key"),
        403: agent_post(client, {**good, "server": other.pk}, key),
        415: agent_post(client, json.dumps(good), key, content_type="text/plain"),
    }
    settings.MONITORING_MAX_BODY_BYTES = 100
    cases[413] = agent_post(client, good, key)
    for status, response in cases.items():
        assert response.status_code == status, (status, response.content)
        answer_conforms(schema, METRICS, response)
