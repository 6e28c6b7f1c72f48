"""The agent API on a lean path: its own WSGI handler with three middleware, not eighteen.

Agent reports are machine-to-machine JSON with a bearer key: sessions, CSRF, login, 2FA,
messages, CSP and htmx have nothing to do with them, yet the full stack cost more Python per
report than the report's own SQL. `route(application)` sends `/api/agent/` to this handler
and everything else to the panel's; the handler resolves only the agent URLs.

The database health check (`CONN_HEALTH_CHECKS`, a `SELECT 1` per request) is skipped here:
a report that meets a broken connection fails with 5xx, the agent keeps the batch and sends
it again, and Django closes a connection that saw an error before the next request.
"""

from __future__ import annotations

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.middleware.security import SecurityMiddleware
from django.urls import include, path

from panel.middleware import RequestIdMiddleware

PREFIX = "/api/agent/"
urlpatterns = [path("api/agent/v1/", include("monitoring.api_urls"))]


class AgentAPIMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.urlconf = __name__  # only the agent API resolves on this path
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware checks it on the full path
        connection.health_check_done = True
        return self.get_response(request)


MIDDLEWARE = (SecurityMiddleware, RequestIdMiddleware, AgentAPIMiddleware)


class AgentAPIHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for middleware in reversed(MIDDLEWARE):
            handler = convert_exception_to_response(middleware(handler))
        self._middleware_chain = handler


def route(application):
    """A WSGI application: the agent API to its lean handler, the rest to APPLICATION."""
    agent_api = AgentAPIHandler()

    def dispatch(environ, start_response):
        if environ.get("PATH_INFO", "").startswith(PREFIX):
            return agent_api(environ, start_response)
        return application(environ, start_response)

    return dispatch
