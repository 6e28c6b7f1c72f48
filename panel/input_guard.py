"""One guard for input no field can store: every query string, form body and JSON body.

PostgreSQL refuses NUL characters in text and psycopg cannot encode lone surrogates
(`\\ud800`), so such a value used to reach the database and answer 500. JSON nested thousands
of levels deep used to crash the parser (RecursionError). The guard refuses all three with a
400 and a sentence before any view runs. The agent API keeps its own stricter reader
(monitoring/validation.py); bodies larger than Django's in-memory limit are left to the view,
which owns the size rule for its endpoint.
"""

from __future__ import annotations

import json
import re

from django.conf import settings

from panel import errors

MAX_JSON_DEPTH = 64
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnstorableInput(errors.Invalid):
    code = "invalid_input"


def problem_in(text: str) -> str | None:
    """Why TEXT cannot be stored, or None."""
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    if match.group() == "\x00":
        return "contains a NUL character"
    return "contains an invalid character (a lone surrogate)"


def check_fields(where: str, data) -> None:
    """Refuse a QueryDict (GET or POST) whose names or values cannot be stored."""
    for name, values in data.lists():
        reason = problem_in(name)
        if reason:
            raise UnstorableInput(f"A field name in the {where} {reason}.")
        for value in values:
            if isinstance(value, str) and (reason := problem_in(value)):
                raise UnstorableInput(f"The field “{name[:40]}” in the {where} {reason}.")


def check_json(body: bytes) -> None:
    """Refuse JSON that is invalid, nested deeper than MAX_JSON_DEPTH or holds unstorable text."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise UnstorableInput("The JSON body is nested too deeply.") from None
    except ValueError:  # UnicodeDecodeError included
        raise UnstorableInput("The body is not valid JSON.") from None
    todo = [(data, 1, "")]
    while todo:  # a loop, not recursion: the depth is what is being checked
        value, depth, path = todo.pop()
        if depth > MAX_JSON_DEPTH:
            raise UnstorableInput(f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels.")
        if isinstance(value, dict):
            for key, item in value.items():
                if reason := problem_in(key):
                    raise UnstorableInput(f"A key in the JSON body {reason}.")
                todo.append((item, depth + 1, f"{path}.{key[:40]}" if path else key[:40]))
        elif isinstance(value, list):
            todo.extend((item, depth + 1, f"{path}[{i}]") for i, item in enumerate(value))
        elif isinstance(value, str) and (reason := problem_in(value)):
            where = f"The text at “{path}”" if path else "A text"
            raise UnstorableInput(f"{where} in the JSON body {reason}.")


def _is_json(request) -> bool:
    media = request.content_type or ""
    return media == "application/json" or media.endswith("+json")


def _small_enough(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return 0 < length and (limit is None or length <= limit)


# The agent API checks its own bodies (NUL, lone surrogates, nesting, size before reading) and
# counts what it rejects; in production it is served by its lean handler without this guard.
OWN_BODY_VALIDATION = ("/api/agent/",)


def check_request(request) -> None:
    if reason := problem_in(request.path_info):
        raise UnstorableInput(f"The address {reason}.")
    check_fields("query string", request.GET)
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if request.path_info.startswith(OWN_BODY_VALIDATION):
        return
    if _is_json(request):
        if _small_enough(request):
            check_json(request.body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        check_fields("form", request.POST)


class InputGuardMiddleware:
    """Answers 400 (problem+json, htmx fragment or page) for input no field could store."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            check_request(request)
        except UnstorableInput as exc:
            if _is_json(request):  # whoever sends JSON reads a problem document
                return errors.problem_response(exc, instance=request.path)
            return errors.response_for(request, exc)
        return self.get_response(request)
