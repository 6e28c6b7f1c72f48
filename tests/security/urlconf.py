"""The URL conf as data, for the generated probes (input fuzz, authorisation, CSRF, verified email):
every named route with its path, its path converters and its view, and the HTTP methods the view
says it accepts."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, UUIDConverter

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class Route(NamedTuple):
    name: str  # namespaced: "provisioning:database_detail"
    path: str  # the route as written: "provisioning/databases/<int:pk>/"
    converters: dict  # path parameter → converter
    callback: object  # the view function the resolver calls


def _params(pattern) -> dict:
    """Path converters, or for a regex route (DRF's routers) its named groups as integers."""
    converters = getattr(pattern, "converters", None)
    if converters:
        return dict(converters)
    regex = getattr(pattern, "regex", None)
    return {name: IntConverter() for name in regex.groupindex} if regex is not None else {}


def walk(patterns=None, prefix="", namespace="", outer=None):
    """Every named route of the URL conf (ROOT_URLCONF when PATTERNS is None)."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    outer = outer or {}
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            params = outer | _params(entry.pattern)
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner, params)
        elif isinstance(entry, URLPattern) and entry.name:
            path = prefix + str(entry.pattern)
            yield Route(
                namespace + entry.name, path, outer | _params(entry.pattern), entry.callback
            )


def sample(converter, pk: int):
    if isinstance(converter, IntConverter):
        return pk
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=0)
    return "x"


def url_of(route: Route, pk: int) -> str:
    """ROUTE's URL with every path parameter set to PK (a string parameter to "x")."""
    kwargs = {key: sample(conv, pk) for key, conv in route.converters.items()}
    return reverse(route.name, kwargs=kwargs)


def urls(pk: int) -> list[str]:
    return sorted({url_of(route, pk) for route in walk()})


def _declared_methods(func) -> list[str] | None:
    """The list a `require_http_methods` (require_POST, require_GET…) somewhere in the decorator
    chain of FUNC closes over, or None when no decorator restricts the method."""
    while func is not None:
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if (
                isinstance(value, list | tuple)
                and value
                and all(isinstance(v, str) and v.isupper() for v in value)
            ):
                return [v for v in value if v != "HEAD"]
        func = getattr(func, "__wrapped__", None)
    return None


def methods(callback) -> list[str]:
    """The methods the view accepts: a DRF viewset's actions, a class-based view's handlers, a
    function view's `require_http_methods` list; an unrestricted function view: GET and POST."""
    actions = getattr(callback, "actions", None)
    if actions:
        return [m.upper() for m in actions if m not in ("head", "options")]
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if cls is not None:
        return [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if hasattr(cls, m.lower())]
    return _declared_methods(callback) or ["GET", "POST"]
