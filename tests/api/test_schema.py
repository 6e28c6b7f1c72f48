"""The OpenAPI 3.1 schema: served, and equal to the committed snapshot (a reviewed diff)."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command

SNAPSHOT = Path(__file__).resolve().parents[2] / "api" / "openapi.yaml"


def test_the_schema_matches_the_committed_snapshot(tmp_path, db):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(generated))
    assert generated.read_text() == SNAPSHOT.read_text(), (
        "The API changed: review it and run `make api-schema` to update api/openapi.yaml"
    )


def test_the_schema_is_served_as_openapi_3_1(client, db):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"] == "3.1.0"
    assert "/api/v1/databases/" in schema["paths"]
    assert "bearerAuth" in schema["components"]["securitySchemes"]
    create = schema["paths"]["/api/v1/databases/"]["post"]
    assert "202" in create["responses"] and "4XX" in create["responses"]


def test_every_link_names_an_operation_and_fills_its_path_parameters(client, db):
    schema = client.get("/api/v1/schema/?format=json").json()
    operations = {
        operation["operationId"]: (path, operation)
        for path, item in schema["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    links = [
        (operation["operationId"], name, link)
        for _, operation in operations.values()
        for response in operation["responses"].values()
        for name, link in response.get("links", {}).items()
    ]
    assert {"admin_plans_create", "admin_servers_create", "dns_zones_create"} <= {
        source for source, _, _ in links
    }
    for source, name, link in links:
        path, _ = operations[link["operationId"]]  # a KeyError: the link names no operation
        wanted = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        assert set(link["parameters"]) == wanted, (source, name)
