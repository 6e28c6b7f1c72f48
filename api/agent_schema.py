"""The agent API (`/api/agent/v1/`, monitoring/api.py) described in the same OpenAPI schema.

Those views are plain Django views on a fast path that drf-spectacular cannot see, so their
operations are written here, from the rules of monitoring/validation.py, and added by the
schema's postprocessing hook. The views themselves are not touched.
"""

from __future__ import annotations

from django.conf import settings

PREFIX = "/api/agent/v1/"


def _number(description: str = "", *, nullable: bool = False, maximum: float | None = None):
    schema: dict = {"type": ["number", "null"] if nullable else "number", "minimum": 0}
    if maximum is not None:
        schema["maximum"] = maximum
    if description:
        schema["description"] = description
    return schema


def _integer(*, nullable: bool = False) -> dict:
    return {"type": ["integer", "null"] if nullable else "integer", "minimum": 0}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties) if required is None else required,
        "properties": properties,
    }


CPU = _object(
    {
        "percent": _number("Busy percent, all cores.", nullable=True, maximum=100),
        "per_core": {
            "type": ["array", "null"],
            "maxItems": 4096,
            "items": _number(maximum=100),
        },
        "load": {"type": "array", "minItems": 3, "maxItems": 3, "items": _number()},
    }
)
MEMORY = _object(
    {key: _integer() for key in ("total", "used", "available", "swap_total", "swap_used")}
)
FILESYSTEM = _object(
    {
        "mount": {"type": "string", "minLength": 1, "maxLength": 255},
        "total": _integer(),
        "used": _integer(),
        "percent": _number(maximum=100),
    }
)
DISK = _object(
    {
        "filesystems": {"type": "array", "maxItems": 64, "items": FILESYSTEM},
        "read_bps": _number(nullable=True),
        "write_bps": _number(nullable=True),
    }
)
INTERFACE = _object(
    {
        "name": {"type": "string", "minLength": 1, "maxLength": 64},
        **{key: _number(nullable=True) for key in ("rx_bps", "tx_bps", "rx_pps", "tx_pps")},
        "errors_in": _integer(nullable=True),
        "errors_out": _integer(nullable=True),
    }
)
SAMPLE = _object(
    {
        "ts": _number("Unix time in seconds; not in the future beyond the allowed clock skew."),
        "cpu": CPU,
        "memory": MEMORY,
        "disk": DISK,
        "network": _object({"interfaces": {"type": "array", "maxItems": 64, "items": INTERFACE}}),
    }
)

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string", "description": "What is wrong, in a sentence."}},
}
ERROR_REF = {"$ref": "#/components/schemas/AgentError"}


def _errors(*statuses: str) -> dict:
    why = {
        "400": "The body is not valid (shape, types, ranges, clock skew, nesting, NUL).",
        "401": "A missing, unknown or revoked key or enrolment token.",
        "403": "A valid key sending another server's samples.",
        "411": "No Content-Length (chunked bodies are refused before reading).",
        "413": "The body is larger than allowed (refused before reading).",
        "415": "The body is not declared as application/json.",
    }
    return {
        code: {"description": why[code], "content": {"application/json": {"schema": ERROR_REF}}}
        for code in statuses
    }


def _body(schema_ref: str) -> dict:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": schema_ref}}},
    }


def components() -> dict:
    report = _object(
        {
            "server": _integer(),
            "interval": _number("Seconds between samples (default 10).", maximum=86400),
            "agent_version": {"type": "string", "maxLength": 32},
            "dropped": _integer(),
            "samples": {
                "type": "array",
                "minItems": 1,
                "maxItems": settings.MONITORING_MAX_SAMPLES_PER_BATCH,
                "items": SAMPLE,
            },
        },
        required=["server", "samples"],
    )
    return {
        "AgentError": ERROR,
        "AgentRegistration": {
            "type": "object",
            "required": ["token"],
            "properties": {
                "token": {"type": "string", "description": "The one-time enrolment token."},
                "hostname": {"type": "string"},
                "agent_version": {"type": "string"},
            },
        },
        "AgentKey": {
            "type": "object",
            "required": ["server", "server_name", "key"],
            "properties": {
                "server": {"type": "integer"},
                "server_name": {"type": "string"},
                "key": {"type": "string", "description": "The agent's key, shown once."},
            },
        },
        "AgentReport": report,
        "AgentReportAccepted": {
            "type": "object",
            "required": ["accepted", "stored"],
            "properties": {"accepted": {"type": "integer"}, "stored": {"type": "integer"}},
        },
    }


def paths() -> dict:
    limit = settings.MONITORING_MAX_BODY_BYTES
    return {
        PREFIX + "register": {
            "post": {
                "operationId": "agent_register",
                "tags": ["agent"],
                "summary": "Exchange a one-time enrolment token for the agent's key.",
                "security": [],
                "requestBody": _body("#/components/schemas/AgentRegistration"),
                "responses": {
                    "201": {
                        "description": "Registered; keep the key.",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/AgentKey"}
                            }
                        },
                    },
                    **_errors("400", "401", "411", "413", "415"),
                },
            }
        },
        PREFIX + "metrics": {
            "post": {
                "operationId": "agent_metrics",
                "tags": ["agent"],
                "summary": f"A batch of samples from one server (at most {limit} bytes).",
                "security": [{"agentKey": []}],
                "requestBody": _body("#/components/schemas/AgentReport"),
                "responses": {
                    "200": {
                        "description": "The samples in the report, and how many were stored.",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/AgentReportAccepted"}
                            }
                        },
                    },
                    **_errors("400", "401", "403", "411", "413", "415"),
                },
            }
        },
    }


def add_agent_api(result: dict) -> dict:
    result.setdefault("components", {}).setdefault("schemas", {}).update(components())
    result["components"].setdefault("securitySchemes", {})["agentKey"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "The agent's key, received from /api/agent/v1/register.",
    }
    result.setdefault("paths", {}).update(paths())
    return result
