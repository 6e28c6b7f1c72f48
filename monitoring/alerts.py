"""Alert evaluation (beat) and the services that open and close alert events.

Only active servers are evaluated. An alert opens once when its rule's condition holds for
a server, stays open while it holds, and closes when it clears, or when its server is
retired (close reason "server retired", not "resolved"). Opening and closing write an audit
event and, after the commit, queue the administrators' email (`monitoring.alert_email`,
retried while the mail server is unreachable). The open count is cached
for the top bar.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from monitoring import alert_email
from monitoring.choices import CloseReason, RuleKind
from monitoring.models import AlertEvent, AlertRule, ServerState
from provisioning.servers.choices import ServerStatus
from provisioning.servers.models import Server
from security import audit

OPEN_COUNT_KEY = "monitoring:open-alerts"
_THRESHOLD_COLUMN = {RuleKind.CPU: "cpu_percent", RuleKind.MEMORY: "mem_percent"}


def _held_over_window(rule: AlertRule, now: datetime) -> dict[int, float]:
    """Active servers whose every sample in the last `duration` is above the threshold.

    The window must be covered: the server's first sample in it is at most one report
    interval after the window's start.
    """
    column = _THRESHOLD_COLUMN[rule.kind]
    start = now - timedelta(seconds=rule.duration_seconds)
    statement = (
        f"SELECT s.server_id, min(s.{column}) FROM monitoring_sample s "  # noqa: S608
        "JOIN monitoring_serverstate st ON st.server_id = s.server_id "
        f"JOIN {Server._meta.db_table} srv ON srv.id = s.server_id "
        "WHERE srv.status = %s AND s.ts > %s AND s.ts <= %s "
        "GROUP BY s.server_id, st.interval_seconds "
        f"HAVING min(s.{column}) > %s AND count(s.{column}) = count(*) "
        "AND min(s.ts) <= %s::timestamptz + make_interval(secs => st.interval_seconds * 1.5)"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [ServerStatus.ACTIVE, start, now, rule.threshold, start])
        return dict(cursor.fetchall())


def breaches(rule: AlertRule, now: datetime) -> dict[int, float | None]:
    """server id → the value that breaches the rule, for every active server where it holds."""
    states = ServerState.objects.filter(server__status=ServerStatus.ACTIVE)
    if rule.kind == RuleKind.DISK:
        return dict(
            states.filter(disk_percent__gt=rule.threshold).values_list("server_id", "disk_percent")
        )
    if rule.kind == RuleKind.SILENT:
        found = {}
        for state in states:
            if state.silent_after(rule.threshold) < now:
                found[state.server_id] = round((now - state.last_report_at).total_seconds())
        return found
    if rule.duration_seconds == 0:
        column = _THRESHOLD_COLUMN[rule.kind]
        return dict(
            states.filter(**{f"{column}__gt": rule.threshold}).values_list("server_id", column)
        )
    return _held_over_window(rule, now)


def without_data(rule: AlertRule, now: datetime) -> set[int]:
    """Servers with no sample in a windowed rule's window: their open alerts stay open.

    An agent that went silent has not cleared its CPU or memory condition (the silent rule
    reports the silence); closing would send a misleading "Resolved" email.
    """
    if rule.kind not in _THRESHOLD_COLUMN or rule.duration_seconds == 0:
        return set()
    start = now - timedelta(seconds=rule.duration_seconds)
    return set(
        ServerState.objects.filter(
            server__status=ServerStatus.ACTIVE, last_sample_at__lte=start
        ).values_list("server_id", flat=True)
    )


def _message(rule: AlertRule, server: Server, value) -> str:
    if rule.kind == RuleKind.SILENT:
        return f"{server.name}: no report from the agent for {value} s"
    held = f" for {rule.duration_seconds} s" if rule.duration_seconds else ""
    return (
        f"{server.name}: {rule.get_kind_display()} {value:.1f} % above {rule.threshold:g} %{held}"
    )


DEFAULT_RULES = (
    (RuleKind.CPU, "CPU above 90 % for 5 minutes", 90.0, 300),
    (RuleKind.MEMORY, "Memory above 90 % for 5 minutes", 90.0, 300),
    (RuleKind.DISK, "A disk above 90 % full", 90.0, 0),
    (RuleKind.SILENT, "Agent silent for 3 report intervals", 3.0, 0),
)


def ensure_default_rules() -> None:
    """Create the default rules that are missing (the data migration seeds the same ones)."""
    for kind, name, threshold, duration in DEFAULT_RULES:
        AlertRule.objects.get_or_create(
            kind=kind,
            defaults={"name": name, "threshold": threshold, "duration_seconds": duration},
        )


def refresh_open_count() -> int:
    count = AlertEvent.objects.open().count()
    cache.set(OPEN_COUNT_KEY, count, timeout=None)
    return count


@transaction.atomic
def open_alert(rule: AlertRule, server: Server, value, *, now: datetime) -> AlertEvent:
    event = AlertEvent.objects.create(
        rule=rule, server=server, opened_at=now, value=value, message=_message(rule, server, value)
    )
    audit.record(None, "monitoring.alert_opened", target=server, rule=rule.kind, value=value)
    alert_email.queue(event, opened=True)
    transaction.on_commit(refresh_open_count)
    return event


@transaction.atomic
def close_alert(event: AlertEvent, *, now: datetime, reason: str = CloseReason.CLEARED) -> bool:
    """Close EVENT (once: False if it was already closed) with REASON, a CloseReason."""
    still_open = AlertEvent.objects.filter(pk=event.pk, closed_at__isnull=True)
    if still_open.update(closed_at=now, close_reason=reason) != 1:
        return False
    event.closed_at, event.close_reason = now, reason
    audit.record(
        None, "monitoring.alert_closed", target=event.server, rule=event.rule.kind, reason=reason
    )
    alert_email.queue(event, opened=False)
    transaction.on_commit(refresh_open_count)
    return True


def evaluate(now: datetime | None = None) -> dict[str, int]:
    """Open alerts for new breaches, close those that cleared; returns counts."""
    now = now or timezone.now()
    opened = closed = 0
    open_events = {
        (e.rule_id, e.server_id): e
        for e in AlertEvent.objects.open().select_related("rule", "server")
    }
    holding: set[tuple[int, int]] = set()
    for rule in AlertRule.objects.filter(enabled=True):
        found = breaches(rule, now)
        servers = Server.objects.in_bulk(
            [sid for sid in found if (rule.pk, sid) not in open_events]
        )
        holding.update((rule.pk, server_id) for server_id in without_data(rule, now))
        for server_id, value in found.items():
            holding.add((rule.pk, server_id))
            if server_id in servers:
                open_alert(rule, servers[server_id], value, now=now)
                opened += 1
    for pair, event in open_events.items():
        if pair in holding:
            continue
        retired = event.server.status != ServerStatus.ACTIVE
        reason = CloseReason.SERVER_RETIRED if retired else CloseReason.CLEARED
        closed += close_alert(event, now=now, reason=reason)
    refresh_open_count()
    return {"opened": opened, "closed": closed}
