"""Monitoring: agent credentials, samples (a time-partitioned table), rollups and alerts."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from monitoring.choices import CloseReason, RuleKind
from provisioning.servers.models import Server

# A server whose agent missed this many report intervals is shown offline.
OFFLINE_AFTER_INTERVALS = 3
# The latest figures kept per server (ServerState): the overview and /metrics show them.
STATE_METRICS = (
    "cpu_percent",
    "load1",
    "mem_percent",
    "swap_percent",
    "disk_percent",
    "disk_read_bps",
    "disk_write_bps",
    "net_rx_bps",
    "net_tx_bps",
)
# Figures kept per sample and averaged in the rollups (all nullable: rates are absent at first).
ROLLUP_METRICS = (*STATE_METRICS, "net_rx_pps", "net_tx_pps")
# Maxima kept in the rollups next to the averages: (column, source metric).
ROLLUP_MAXIMA = (
    ("cpu_max", "cpu_percent"),
    ("mem_max", "mem_percent"),
    ("disk_max", "disk_percent"),
)
# Columns of a raw sample row besides server_id, ts, received_at and detail.
SAMPLE_COLUMNS = (
    "cpu_percent",
    "load1",
    "load5",
    "load15",
    "mem_total",
    "mem_used",
    "mem_available",
    "mem_percent",
    "swap_total",
    "swap_used",
    "swap_percent",
    "disk_percent",
    "disk_read_bps",
    "disk_write_bps",
    "net_rx_bps",
    "net_tx_bps",
    "net_rx_pps",
    "net_tx_pps",
    "net_errors",
)


class EnrolmentToken(models.Model):
    """A one-time token an administrator creates so an agent can register (hash only)."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="enrolment_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"enrolment token for {self.server_id}"


class AgentKeyQuerySet(models.QuerySet):
    def active(self) -> AgentKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class AgentKey(models.Model):
    """An agent's credential. Only its SHA-256 is stored; `prefix` identifies it in the UI."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="agent_keys")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    hostname = models.CharField(max_length=255, blank=True)
    agent_version = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AgentKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.server_id})"


class ServerState(models.Model):
    """The latest report of each server: what the overview and /metrics show."""

    server = models.OneToOneField(
        Server, on_delete=models.CASCADE, primary_key=True, related_name="monitor_state"
    )
    last_report_at = models.DateTimeField()
    last_sample_at = models.DateTimeField()
    interval_seconds = models.FloatField(default=10)
    dropped_samples = models.BigIntegerField(default=0)
    cpu_percent = models.FloatField(null=True)
    load1 = models.FloatField(null=True)
    mem_percent = models.FloatField(null=True)
    swap_percent = models.FloatField(null=True)
    disk_percent = models.FloatField(null=True)
    disk_read_bps = models.FloatField(null=True)
    disk_write_bps = models.FloatField(null=True)
    net_rx_bps = models.FloatField(null=True)
    net_tx_bps = models.FloatField(null=True)

    def __str__(self) -> str:
        return f"state of {self.server_id}"

    def silent_after(self, intervals: float) -> datetime:
        return self.last_report_at + timedelta(seconds=self.interval_seconds * intervals)

    def is_online(self, now: datetime) -> bool:
        """Reported within the last OFFLINE_AFTER_INTERVALS report intervals."""
        return self.silent_after(OFFLINE_AFTER_INTERVALS) > now


class Sample(models.Model):
    """One report of one server. The table is created by raw SQL: partitioned by day on ts."""

    pk = models.CompositePrimaryKey("server_id", "ts")
    # ON DELETE CASCADE is declared in the table's SQL.
    server = models.ForeignKey(Server, on_delete=models.DO_NOTHING, related_name="+")
    ts = models.DateTimeField()
    received_at = models.DateTimeField()
    cpu_percent = models.FloatField(null=True)
    load1 = models.FloatField(null=True)
    load5 = models.FloatField(null=True)
    load15 = models.FloatField(null=True)
    mem_total = models.BigIntegerField(null=True)
    mem_used = models.BigIntegerField(null=True)
    mem_available = models.BigIntegerField(null=True)
    mem_percent = models.FloatField(null=True)
    swap_total = models.BigIntegerField(null=True)
    swap_used = models.BigIntegerField(null=True)
    swap_percent = models.FloatField(null=True)
    disk_percent = models.FloatField(null=True)
    disk_read_bps = models.FloatField(null=True)
    disk_write_bps = models.FloatField(null=True)
    net_rx_bps = models.FloatField(null=True)
    net_tx_bps = models.FloatField(null=True)
    net_rx_pps = models.FloatField(null=True)
    net_tx_pps = models.FloatField(null=True)
    net_errors = models.BigIntegerField(null=True)
    detail = models.JSONField(default=dict)

    class Meta:
        # The table is created by raw SQL (migration 0002): partitioned by day on ts.
        db_table = "monitoring_sample"

    def __str__(self) -> str:
        return f"{self.server_id}@{self.ts}"


class Rollup(models.Model):
    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="+")
    bucket = models.DateTimeField()
    samples = models.IntegerField()
    cpu_percent = models.FloatField(null=True)
    load1 = models.FloatField(null=True)
    mem_percent = models.FloatField(null=True)
    swap_percent = models.FloatField(null=True)
    disk_percent = models.FloatField(null=True)
    disk_read_bps = models.FloatField(null=True)
    disk_write_bps = models.FloatField(null=True)
    net_rx_bps = models.FloatField(null=True)
    net_tx_bps = models.FloatField(null=True)
    net_rx_pps = models.FloatField(null=True)
    net_tx_pps = models.FloatField(null=True)
    cpu_max = models.FloatField(null=True)
    mem_max = models.FloatField(null=True)
    disk_max = models.FloatField(null=True)
    updated_at = models.DateTimeField(db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.server_id}@{self.bucket}"


class MinuteRollup(Rollup):
    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["server", "bucket"], name="monitoring_minute_unique")
        ]


class HourRollup(Rollup):
    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["server", "bucket"], name="monitoring_hour_unique")
        ]


class RollupCursor(models.Model):
    """How far each rollup level has processed (incremental computation)."""

    level = models.CharField(max_length=16, unique=True)
    position = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.level}: {self.position}"


class AlertRule(models.Model):
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=RuleKind.choices, unique=True)
    threshold = models.FloatField(
        help_text="Percent for CPU, memory and disk; missed report intervals for a silent agent."
    )
    duration_seconds = models.PositiveIntegerField(
        default=0, help_text="How long the condition must hold before an alert opens."
    )
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.name


class AlertEventQuerySet(models.QuerySet):
    def open(self) -> AlertEventQuerySet:
        return self.filter(closed_at__isnull=True)


class AlertEvent(models.Model):
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="alert_events")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True)
    value = models.FloatField(null=True)
    message = models.CharField(max_length=255)

    objects = AlertEventQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "server"],
                condition=Q(closed_at__isnull=True),
                name="monitoring_one_open_alert_per_rule",
            )
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
