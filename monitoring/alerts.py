"""Alert evaluation (beat) and the services that open and close alert events.

Only active servers are evaluated. An alert opens once when its rule's condition holds for
a server, stays open while it holds, and closes when it clears, or when its server is
retired (close reason "server retired", not "resolved"). Opening and closing write an audit
event and, after the commit, queue the administrators' email (`monitoring.alert_email`,
retried while the mail server is unreachable). The open count is cached
for the top bar (`monitoring.alert_count`, which falls back to the database).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from monitoring import alert_count, alert_email
from monitoring.choices import CloseReason, RuleKind
from monitoring.models import AlertEvent, AlertRule, ServerState
from panel.bulk_insert import insert_all
from provisioning.servers.choices import ServerStatus
from provisioning.servers.models import Server
from security import audit

OPEN_COUNT_KEY = alert_count.KEY
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


def _silent(rule: AlertRule, now: datetime) -> dict[int, int]:
    """Active servers whose last report is older than `threshold` report intervals."""
    statement = (
        "SELECT st.server_id, round(extract(epoch FROM %s - st.last_report_at))::int "  # noqa: S608
        f"FROM monitoring_serverstate st JOIN {Server._meta.db_table} srv ON srv.id = st.server_id "
        "WHERE srv.status = %s "
        "AND st.last_report_at + make_interval(secs => st.interval_seconds * %s) < %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [now, ServerStatus.ACTIVE, rule.threshold, now])
        return dict(cursor.fetchall())


def breaches(rule: AlertRule, now: datetime) -> dict[int, float | None]:
    """server id → the value that breaches the rule, for every active server where it holds."""
    states = ServerState.objects.filter(server__status=ServerStatus.ACTIVE)
    if rule.kind == RuleKind.DISK:
        return dict(
            states.filter(disk_percent__gt=rule.threshold).values_list("server_id", "disk_percent")
        )
    if rule.kind == RuleKind.SILENT:
        return _silent(rule, now)
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
    return alert_count.refresh()


def _open_all(found: list[tuple[AlertRule, Server, object]], now: datetime) -> list[AlertEvent]:
    """One INSERT for the events, one for their audit events, whatever their number."""
    events = insert_all(
        [
            AlertEvent(
                rule=rule, server=server, opened_at=now, value=value,
                message=_message(rule, server, value),
            )
            for rule, server, value in found
        ]
    )  # fmt: skip
    audit.record_many(
        [
            audit.build(
                None, "monitoring.alert_opened", target=e.server, rule=e.rule.kind, value=e.value
            )
            for e in events
        ]
    )
    alert_email.queue_many(events, opened=True)
    return events


_CLOSE_SQL = (
    "UPDATE monitoring_alertevent SET closed_at = %s, "
    "close_reason = CASE WHEN id = ANY(%s) THEN %s ELSE %s END "
    "WHERE id = ANY(%s) AND closed_at IS NULL RETURNING id"
)


def _close_all(events: list[AlertEvent], now: datetime) -> list[AlertEvent]:
    """One UPDATE closes them (only those still open: another pass may have been first)."""
    if not events:
        return []
    retired = [e.pk for e in events if e.server.status != ServerStatus.ACTIVE]
    params = [now, retired, CloseReason.SERVER_RETIRED, CloseReason.CLEARED]
    with connection.cursor() as cursor:
        cursor.execute(_CLOSE_SQL, [*params, [e.pk for e in events]])
        closed_ids = {row[0] for row in cursor.fetchall()}
    closed = [e for e in events if e.pk in closed_ids]
    for event in closed:
        event.closed_at = now
        retired_now = event.pk in retired
        event.close_reason = CloseReason.SERVER_RETIRED if retired_now else CloseReason.CLEARED
    audit.record_many(
        [
            audit.build(
                None, "monitoring.alert_closed", target=e.server, rule=e.rule.kind,
                reason=e.close_reason,
            )
            for e in closed
        ]
    )  # fmt: skip
    alert_email.queue_many(closed, opened=False)
    return closed


@transaction.atomic
def evaluate(now: datetime | None = None) -> dict[str, int]:
    """Open alerts for new breaches, close those that cleared; returns counts.

    A constant number of queries per pass, whatever the number of events: per rule one
    query for its breaches (two for windowed rules), then one INSERT for the new events,
    one UPDATE for the closed ones, one INSERT per kind of audit event and one count.
    """
    now = now or timezone.now()
    open_events = {
        (e.rule_id, e.server_id): e
        for e in AlertEvent.objects.open().select_related("rule", "server")
    }
    rules = list(AlertRule.objects.filter(enabled=True))
    found = {rule.pk: breaches(rule, now) for rule in rules}
    new = {sid for rule in rules for sid in found[rule.pk] if (rule.pk, sid) not in open_events}
    servers = Server.objects.in_bulk(new)
    holding: set[tuple[int, int]] = set()
    to_open = []
    for rule in rules:
        holding.update((rule.pk, server_id) for server_id in without_data(rule, now))
        for server_id, value in found[rule.pk].items():
            holding.add((rule.pk, server_id))
            if (rule.pk, server_id) not in open_events and server_id in servers:
                to_open.append((rule, servers[server_id], value))
    opened = _open_all(to_open, now)
    closed = _close_all([e for pair, e in open_events.items() if pair not in holding], now)
    refresh_open_count()
    return {"opened": len(opened), "closed": len(closed)}
