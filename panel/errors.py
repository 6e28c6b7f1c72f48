"""One error model for the whole panel.

Services raise a `DomainError` (or a subclass from their app's `exceptions.py`). Each carries a
sentence for people (`message`), a stable machine code (`code`), the form field it belongs to
(`field`, optional) and its `kind`, which alone decides the HTTP status. A throttled error also
carries `retry_after` seconds, and every answer built from it sends `Retry-After`.

The mapping to answers lives here and nowhere else:
- `status_of(exc)` / `apply(response, exc)`: a page that re-renders its own form with the message
  (login, 2FA, reset) takes its status and headers from here;
- `problem_response(exc)`: RFC 9457 `application/problem+json`, for JSON clients and the REST API;
- `DomainErrorMiddleware`: an uncaught `DomainError` becomes a problem document for JSON/API
  requests, a small fragment for htmx requests and an error page for everything else.
"""

from __future__ import annotations

from enum import StrEnum

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string


class Kind(StrEnum):
    INVALID = "invalid"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    CONFLICT = "conflict"
    LENGTH_REQUIRED = "length_required"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"


STATUS = {
    Kind.INVALID: 400,
    Kind.UNAUTHENTICATED: 401,
    Kind.FORBIDDEN: 403,
    Kind.NOT_FOUND: 404,
    Kind.METHOD_NOT_ALLOWED: 405,
    Kind.NOT_ACCEPTABLE: 406,
    Kind.CONFLICT: 409,
    Kind.LENGTH_REQUIRED: 411,
    Kind.TOO_LARGE: 413,
    Kind.UNSUPPORTED_MEDIA_TYPE: 415,
    Kind.THROTTLED: 429,
    Kind.UNAVAILABLE: 503,
}

TITLES = {
    Kind.INVALID: "The request is not valid",
    Kind.UNAUTHENTICATED: "Authentication is required",
    Kind.FORBIDDEN: "This is not allowed",
    Kind.NOT_FOUND: "Not found",
    Kind.METHOD_NOT_ALLOWED: "Method not allowed",
    Kind.NOT_ACCEPTABLE: "Not acceptable",
    Kind.CONFLICT: "This conflicts with the current state",
    Kind.LENGTH_REQUIRED: "A Content-Length is required",
    Kind.TOO_LARGE: "The request is too large",
    Kind.UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
    Kind.THROTTLED: "Too many attempts",
    Kind.UNAVAILABLE: "Temporarily unavailable",
}

PROBLEM_TYPE = "application/problem+json"


class DomainError(Exception):
    """A rule was broken or a dependency is missing; `message` is shown to people as it is."""

    kind: Kind = Kind.INVALID
    code: str = ""
    field: str | None = None
    default_message: str = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        if code is not None:
            self.code = code
        elif not self.code:
            self.code = self.kind.value
        if field is not None:
            self.field = field
        self.retry_after = retry_after
        if self.kind is Kind.THROTTLED and self.retry_after is None:
            self.retry_after = 60

    @property
    def status(self) -> int:
        return STATUS[self.kind]


class Invalid(DomainError):
    kind = Kind.INVALID


class Forbidden(DomainError):
    kind = Kind.FORBIDDEN


class NotFound(DomainError):
    kind = Kind.NOT_FOUND
    default_message = "Not found."


class Conflict(DomainError):
    kind = Kind.CONFLICT


class Throttled(DomainError):
    kind = Kind.THROTTLED
    default_message = "Too many attempts. Try again later."


class Unavailable(DomainError):
    kind = Kind.UNAVAILABLE
    default_message = "This is temporarily unavailable. Try again in a minute."


def status_of(exc: DomainError) -> int:
    return STATUS[exc.kind]


def headers_of(exc: DomainError) -> dict[str, str]:
    if exc.retry_after is not None and exc.kind in (Kind.THROTTLED, Kind.UNAVAILABLE):
        return {"Retry-After": str(max(1, int(exc.retry_after)))}
    return {}


def apply(response: HttpResponse, exc: DomainError | None) -> HttpResponse:
    """Give a page that shows the error itself the error's status and headers (None: as is)."""
    if exc is None:
        return response
    response.status_code = status_of(exc)
    for name, value in headers_of(exc).items():
        response[name] = value
    return response


def problem(exc: DomainError, *, instance: str | None = None) -> dict:
    body = {
        "type": "about:blank",
        "title": TITLES[exc.kind],
        "status": status_of(exc),
        "detail": exc.message,
        "code": exc.code,
    }
    if exc.field:
        body["field"] = exc.field
    if exc.retry_after is not None and exc.kind in (Kind.THROTTLED, Kind.UNAVAILABLE):
        body["retry_after"] = max(1, int(exc.retry_after))
    if instance:
        body["instance"] = instance
    return body


def problem_response(exc: DomainError, *, instance: str | None = None, **extra) -> JsonResponse:
    response = JsonResponse(
        problem(exc, instance=instance) | extra,
        status=status_of(exc),
        content_type=PROBLEM_TYPE,
    )
    for name, value in headers_of(exc).items():
        response[name] = value
    return response


def add_to_form(form, exc: DomainError) -> None:
    """Show the message on its field when the form has that field, else above the form."""
    field = exc.field if exc.field and exc.field in getattr(form, "fields", {}) else None
    form.add_error(field, exc.message)


def wants_json(request: HttpRequest) -> bool:
    if request.path.startswith("/api/"):
        return True
    accept = request.headers.get("Accept", "")
    return "json" in accept and "html" not in accept


class DomainErrorMiddleware:
    """The last net: a `DomainError` no view handled still gets its status, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if not isinstance(exc, DomainError):
            return None
        return response_for(request, exc)


def response_for(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The answer to EXC in the form the client asked for (problem+json, htmx fragment, page)."""
    if wants_json(request):
        return problem_response(exc, instance=request.path)
    context = {"error": exc, "title": TITLES[exc.kind]}
    if request.headers.get("HX-Request") == "true":
        html = render_to_string("errors/domain_error_fragment.html", context, request)
    else:
        html = render_to_string("errors/domain_error.html", context, request)
    return apply(HttpResponse(html), exc)
