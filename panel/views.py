"""Home, health and error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from panel import versions
from panel.errors import NotFound, problem_response


def home(request):
    if request.user.is_admin:
        return redirect("accounts:admin_overview")
    return redirect("accounts:dashboard")


def _check_database(found: dict[str, str]) -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        found["postgresql"] = versions.postgresql_version()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return f"error: {exc.__class__.__name__}"


def _check_redis(found: dict[str, str]) -> str:
    try:
        cache.set("healthz", "1", timeout=5)
        if cache.get("healthz") != "1":
            return "error: read back failed"
        found["redis"] = versions.redis_version()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}"


@login_not_required
@never_cache
@require_GET
def healthz(request):
    found = versions.software_versions()
    checks = {"database": _check_database(found), "redis": _check_redis(found)}
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "degraded", **checks, "versions": found}
    return JsonResponse(body, status=200 if healthy else 503)


@login_not_required
def error_403(request, exception=None):
    return render(request, "errors/403.html", status=403)


@login_not_required
def error_404(request, exception=None):
    if request.path.startswith("/api/"):  # an API client gets the API's problem document
        return problem_response(NotFound("No such API resource."), instance=request.path)
    return render(request, "errors/404.html", status=404)


@login_not_required
def error_500(request):
    return render(request, "errors/500.html", status=500)
