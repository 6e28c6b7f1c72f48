"""The monitoring section of the admin overview: servers' health and open alerts at a glance."""

from __future__ import annotations

from django.utils import timezone

from accounts import dashboard
from monitoring.models import AlertEvent
from provisioning.servers.models import Server

TEMPLATE = "monitoring/_dashboard_health.html"


def health(request) -> dict:
    now = timezone.now()
    servers = list(Server.objects.active().select_related("monitor_state").order_by("name"))
    rows = []
    for server in servers:
        state = getattr(server, "monitor_state", None)
        status = "unknown" if state is None else ("online" if state.is_online(now) else "silent")
        rows.append({"server": server, "state": state, "status": status})
    open_alerts = AlertEvent.objects.open().select_related("server", "rule")
    return {
        "servers": rows,
        "online": sum(1 for row in rows if row["status"] == "online"),
        "silent": [row for row in rows if row["status"] != "online"],
        "alerts": list(open_alerts[:10]),
        "alert_count": open_alerts.count(),
    }


def register() -> None:
    dashboard.register_section(dashboard.ADMIN, 10, TEMPLATE, health)
