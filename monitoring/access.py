"""Access helpers: monitoring pages are for administrators; objects are fetched through here."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from monitoring.models import AgentKey, AlertRule
from provisioning.servers.models import Server


def get_server_for_admin(request, pk: int) -> Server:
    return get_object_or_404(Server.objects.select_related("monitor_state"), pk=pk)


def get_agent_key_for_admin(request, server: Server, pk: int) -> AgentKey:
    return get_object_or_404(AgentKey.objects.active(), server=server, pk=pk)


def get_rule_for_admin(request, pk: int) -> AlertRule:
    return get_object_or_404(AlertRule, pk=pk)
