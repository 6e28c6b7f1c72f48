"""Request id (one per request, in the response header, the logs and audit events) and the
client's address behind a reverse proxy."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.conf import settings

from panel.client_ip import forwarded_client

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


_request: contextvars.ContextVar = contextvars.ContextVar("request", default=None)


def current_request_id() -> str:
    return _request_id.get()


# The API token a request authenticated with (its id), so audit events can name it.
_credential: contextvars.ContextVar[int | None] = contextvars.ContextVar("credential", default=None)


def current_credential() -> int | None:
    return _credential.get()


def use_credential(token_id: int | None) -> None:
    """Called by the API's authentication; RequestIdMiddleware clears it after the request."""
    _credential.set(token_id)


def current_request():
    """The request being answered in this context, or None (tasks, commands)."""
    return _request.get()


class RequestIdMiddleware:
    header = "HTTP_X_REQUEST_ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(self.header, "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        credential = _credential.set(None)
        request_token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(request_token)
            _request_id.reset(token)
            _credential.reset(credential)
        response["X-Request-ID"] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class ProxyClientAddressMiddleware:
    """With BEHIND_PROXY, REMOTE_ADDR becomes the client's address as panel.client_ip
    determines it from a trusted proxy's X-Forwarded-For (untrusted peers keep their own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.BEHIND_PROXY:
            request.META["REMOTE_ADDR"] = forwarded_client(
                request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", "")
            )
        return self.get_response(request)
