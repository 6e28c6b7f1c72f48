"""The agent API: POST /api/agent/v1/register and /metrics. JSON in, JSON out.

Errors are mapped to statuses in one place (`_error`): 400 bad input (including NUL, lone
surrogates and too deep nesting), 401 bad key or token, 403 another server's samples, 411 a
body without Content-Length (chunked), 413 oversized body (both refused before anything is
read or parsed), 415 a body not declared as application/json.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from monitoring import services, stats
from monitoring.exceptions import (
    LengthRequired,
    MonitoringError,
    PayloadError,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from monitoring.validation import load_json, parse_report

logger = logging.getLogger(__name__)


def _read_body(request, limit: int) -> bytes:
    """At most `limit` bytes of JSON: a larger declared or actual body is refused before parsing.

    The body must be declared `application/json` (a charset parameter is allowed): text/plain
    or form-encoded bodies are refused with 415 even when they hold valid JSON.

    A body must declare its length: WSGI gives a chunked body without Content-Length as an
    empty stream, which would otherwise be reported as "not valid JSON".
    """
    if request.content_type.lower() != "application/json":
        raise UnsupportedMediaType("the body must be sent as Content-Type: application/json")
    raw = request.META.get("CONTENT_LENGTH")
    if not raw:
        raise LengthRequired("a Content-Length header is required (chunked bodies are refused)")
    try:
        declared = int(raw)
    except ValueError:
        raise PayloadError("invalid Content-Length") from None
    if declared > limit:
        raise PayloadTooLarge(f"the body exceeds {limit} bytes")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(f"the body exceeds {limit} bytes")
    return body


def _error(exc: MonitoringError) -> JsonResponse:
    stats.record_rejected(getattr(exc, "reason", "invalid"))
    return JsonResponse({"error": exc.message}, status=exc.status)


@csrf_exempt
@login_not_required
@require_POST
def register(request):
    try:
        data = load_json(_read_body(request, 4096) or b"null")
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            raise PayloadError('expected {"token": "..."}')
        hostname, version = data.get("hostname", ""), data.get("agent_version", "")
        if not isinstance(hostname, str) or not isinstance(version, str):
            raise PayloadError("hostname and agent_version must be texts")
        key, plain = services.register_agent(data["token"], hostname=hostname, version=version)
    except MonitoringError as exc:
        return _error(exc)
    return JsonResponse(
        {"server": key.server_id, "server_name": key.server.name, "key": plain}, status=201
    )


@csrf_exempt
@login_not_required
@require_POST
def metrics(request):
    started = time.perf_counter()
    try:
        agent = services.authenticate_agent(request.META.get("HTTP_AUTHORIZATION", ""))
        report = parse_report(_read_body(request, settings.MONITORING_MAX_BODY_BYTES))
        stored = services.ingest_report(agent, report)
    except MonitoringError as exc:
        return _error(exc)
    stats.record_ingested(stored, time.perf_counter() - started)
    return JsonResponse({"accepted": len(report.rows), "stored": stored})
