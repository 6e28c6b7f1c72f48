"""Monitoring pages (administrators only): overview, server page, data, export, enrolment."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.db.models import Count, F, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.access import admin_required
from monitoring import queries, services
from monitoring.access import get_agent_key_for_admin, get_server_for_admin
from monitoring.choices import RANGE_SECONDS, Range
from monitoring.forms import ExportForm
from monitoring.metrics import chart_description
from monitoring.models import AlertEvent
from panel.csv_export import csv_response
from panel.pagination import paginate, querystring_without_page
from provisioning.servers.models import Server

SORTS = {
    "name": F("name").asc(),
    "status": F("monitor_state__last_report_at").desc(nulls_last=True),
    "cpu": F("monitor_state__cpu_percent").desc(nulls_last=True),
    "mem": F("monitor_state__mem_percent").desc(nulls_last=True),
    "disk": F("monitor_state__disk_percent").desc(nulls_last=True),
    "alerts": F("open_alerts").desc(),
}


def is_online(state, now) -> bool:
    return state is not None and state.is_online(now)


@admin_required
@require_GET
def overview(request):
    sort = request.GET.get("sort", "name")
    if sort not in SORTS:
        sort = "name"
    servers = (
        Server.objects.select_related("monitor_state")
        .annotate(open_alerts=Count("alert_events", filter=Q(alert_events__closed_at__isnull=True)))
        .order_by(SORTS[sort], "name")
    )
    page = paginate(request, servers)
    now = timezone.now()
    rows = [(server, is_online(getattr(server, "monitor_state", None), now)) for server in page]
    return render(
        request,
        "monitoring/overview.html",
        {"page": page, "rows": rows, "sort": sort, "qs": querystring_without_page(request)},
    )


def _detail_context(request, server) -> dict:
    state = getattr(server, "monitor_state", None)
    return {
        "server": server,
        "state": state,
        "online": is_online(state, timezone.now()),
        "open_alerts": AlertEvent.objects.open().filter(server=server).select_related("rule"),
        "keys": server.agent_keys.active(),
        "ranges": Range.choices,
        "charts": chart_description(),
        "export_form": ExportForm(),
        "refresh_seconds": max(10, int(state.interval_seconds)) if state else 30,
    }


@admin_required
@require_GET
def server_detail(request, pk: int):
    server = get_server_for_admin(request, pk)
    return render(request, "monitoring/server_detail.html", _detail_context(request, server))


@admin_required
@require_GET
def server_data(request, pk: int):
    server = get_server_for_admin(request, pk)
    range_key = request.GET.get("range", "24h")
    if range_key not in RANGE_SECONDS:
        return JsonResponse({"error": "range must be one of 1h, 24h, 7d, 30d"}, status=400)
    now = timezone.now()
    plan = queries.plan_for(range_key, now)
    state = getattr(server, "monitor_state", None)
    envelope = {
        "range": range_key,
        "resolution": plan.resolution,
        "bucket_seconds": plan.bucket_seconds,
        "start": int(plan.start.timestamp() * 1000),
        "end": int(plan.end.timestamp() * 1000),
        "online": is_online(state, now),
        "last_report": state.last_report_at.isoformat() if state else None,
    }
    # The series arrive as JSON text from PostgreSQL: spliced in, never parsed here.
    body = json.dumps(envelope)[:-1] + ', "series": ' + queries.series_json(server.pk, plan) + "}"
    return HttpResponse(body, content_type="application/json")


@admin_required
@require_GET
def server_export(request, pk: int):
    server = get_server_for_admin(request, pk)
    form = ExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Choose a range and a resolution for the export.")
        return redirect("monitoring:server_detail", pk=server.pk)
    now = timezone.now()
    start = now - timedelta(seconds=RANGE_SECONDS[form.cleaned_data["range"]])
    resolution = form.cleaned_data["resolution"]
    columns, rows = queries.export_rows(server.pk, resolution, start, now)
    filename = f"{server.name}-{form.cleaned_data['range']}-{resolution}.csv"
    return csv_response(filename, columns, rows)


@admin_required
@require_POST
def enrol(request, pk: int):
    server = get_server_for_admin(request, pk)
    token, plain = services.create_enrolment_token(server, actor=request.user)
    context = _detail_context(request, server)
    context.update(
        enrolment_token=plain,
        enrolment_expires=token.expires_at,
        panel_url=request.build_absolute_uri("/").rstrip("/"),
    )
    response = render(request, "monitoring/server_detail.html", context)
    response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_POST
def revoke_key(request, pk: int, key_pk: int):
    server = get_server_for_admin(request, pk)
    key = get_agent_key_for_admin(request, server, key_pk)
    services.revoke_agent_key(key, actor=request.user)
    messages.success(request, f"Agent key {key.prefix}… revoked; that agent can no longer report.")
    return redirect("monitoring:server_detail", pk=server.pk)
