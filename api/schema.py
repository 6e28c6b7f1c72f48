"""OpenAPI additions: the token scheme, and the problem+json answer every operation may give."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from api.agent_schema import add_agent_api
from api.schema_links import add_links

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable machine-readable error code."},
        "field": {"type": "string"},
        "retry_after": {"type": "integer"},
        "instance": {"type": "string"},
        "errors": {"type": "object", "description": "Field errors of a 400 (validation)."},
        "issues": {
            "type": "array",
            "description": "Every problem of a refused record set or zone file.",
            "items": {
                "type": "object",
                "required": ["index", "field", "message"],
                "properties": {
                    "index": {"type": "integer", "description": "The rrset or record, or -1."},
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "line": {"type": ["integer", "null"], "description": "In a zone file."},
                },
            },
        },
    },
}


PROBLEM_REF = "#/components/schemas/Problem"


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token `hth_<id>_<secret>` made on the API tokens page.",
        }


def add_problem_responses(result, generator, request, public):
    """Every operation can answer with a problem document (RFC 9457) on any 4xx, and on a
    503 when Redis (rate-limit counters, task queue) cannot be reached."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
    problem = {
        "description": "An error (RFC 9457 problem details).",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    result["components"].setdefault("responses", {})["Unavailable"] = {
        **problem,
        "description": "Temporarily unavailable (problem details): the rate-limit counters "
        "(`throttle_unavailable`) or the task queue (`queue_unavailable`) cannot be reached.",
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        },
    }
    unavailable = {"$ref": "#/components/responses/Unavailable"}
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("4XX", problem)
                operation["responses"].setdefault("503", unavailable)
    # After the problem responses: the agent's errors are {"error": ...}, not problems.
    return add_agent_api(add_links(result))
