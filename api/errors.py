"""DRF's exception handler: every error goes through panel.errors, the panel's one mapper.

Services' DomainErrors pass as they are; DRF's own exceptions (validation, authentication,
permission, not found, throttling, method, media type) become DomainErrors of the matching
kind first, so every 4xx of the API is the same problem+json document with a stable `code`.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf

from api.exceptions import Unauthenticated
from panel import errors
from panel.errors import DomainError, Kind

logger = logging.getLogger(__name__)

KINDS = {
    drf.ValidationError: Kind.INVALID,
    drf.ParseError: Kind.INVALID,
    drf.NotAuthenticated: Kind.UNAUTHENTICATED,
    drf.AuthenticationFailed: Kind.UNAUTHENTICATED,
    drf.PermissionDenied: Kind.FORBIDDEN,
    drf.NotFound: Kind.NOT_FOUND,
    drf.MethodNotAllowed: Kind.METHOD_NOT_ALLOWED,
    drf.NotAcceptable: Kind.NOT_ACCEPTABLE,
    drf.UnsupportedMediaType: Kind.UNSUPPORTED_MEDIA_TYPE,
    drf.Throttled: Kind.THROTTLED,
}

CODES = {
    drf.ValidationError: "invalid",
    drf.ParseError: "malformed",
    drf.NotAuthenticated: "unauthenticated",
    drf.AuthenticationFailed: "unauthenticated",
    drf.PermissionDenied: "forbidden",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "throttled",
}


class _Translated(DomainError):
    def __init__(self, kind: Kind, message: str, *, code: str, retry_after=None):
        self.kind = kind
        super().__init__(message, code=code, retry_after=retry_after)


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for field, value in detail.items():
            return f"{field}: {_first_message(value)}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail) or "The request is not valid."


def _translate(exc: drf.APIException) -> tuple[DomainError, dict]:
    cls = next((c for c in type(exc).__mro__ if c in KINDS), None)
    if cls is None:
        return _Translated(Kind.INVALID, str(exc.detail), code="invalid"), {}
    extra = {}
    if cls is drf.ValidationError:
        extra["errors"] = exc.detail if isinstance(exc.detail, dict) else {"": exc.detail}
        message = _first_message(exc.detail)
    else:
        message = str(exc.detail)
    retry = int(exc.wait) + 1 if cls is drf.Throttled and exc.wait is not None else None
    return _Translated(KINDS[cls], message, code=CODES[cls], retry_after=retry), extra


def _issues(exc: DomainError) -> dict:
    """A refused record set lists every issue: which item (index, import line), field, why."""
    issues = getattr(exc, "issues", None)
    if not issues:
        return {}
    return {
        "issues": [
            {"index": i.index, "field": i.field, "message": i.message, "line": i.line}
            for i in issues
        ]
    }


def to_domain_error(exc) -> tuple[DomainError, dict] | None:
    if isinstance(exc, DomainError):
        return exc, _issues(exc)
    if isinstance(exc, Http404):
        return errors.NotFound(), {}
    if isinstance(exc, PermissionDenied):
        return errors.Forbidden("This is not allowed.", code="forbidden"), {}
    if isinstance(exc, drf.APIException):
        return _translate(exc)
    return None


def exception_handler(exc, context):
    mapped = to_domain_error(exc)
    if mapped is None:
        return None  # a real bug: Django's 500 handling, traceback logged server-side
    domain_error, extra = mapped
    request = context.get("request")
    instance = request.path if request is not None else None
    response = errors.problem_response(domain_error, instance=instance, **extra)
    if isinstance(domain_error, Unauthenticated) or domain_error.kind is Kind.UNAUTHENTICATED:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
