"""The metric vocabulary, declared once: every figure a sample carries, its unit and labels.

Everything else is derived from `METRICS`: the model fields of samples, server states and
rollups, the column lists of the storage and rollup SQL, the Prometheus gauges, the chart
page's series (handed to the JavaScript as JSON) and the CSV columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

# Units, and the chart axis each one is drawn on.
PERCENT = "percent"
BYTES = "bytes"
BYTES_PER_SECOND = "bytes_per_second"
PACKETS_PER_SECOND = "packets_per_second"
LOAD = "load"
COUNT = "count"
AXIS_OF_UNIT = {PERCENT: "pct", BYTES_PER_SECOND: "bytes", LOAD: "load"}


@dataclass(frozen=True)
class Metric:
    name: str  # column, JSON key and Prometheus suffix
    label: str  # chart legend
    description: str  # Prometheus help, tooltips
    unit: str
    integer: bool = False  # stored as bigint, not double precision
    state: bool = False  # the latest value is kept per server (overview, alerts, /metrics)
    rollup: bool = False  # averaged in the minute and hour rollups
    maximum: str = ""  # rollup column holding the bucket's maximum, if any
    chart: str = ""  # the server page's chart that draws it


METRICS = (
    Metric("cpu_percent", "CPU %", "CPU busy percent (all cores)", PERCENT,
           state=True, rollup=True, maximum="cpu_max", chart="cpu"),
    Metric("load1", "Load (1 min)", "1-minute load average", LOAD,
           state=True, rollup=True, chart="cpu"),
    Metric("load5", "Load (5 min)", "5-minute load average", LOAD),
    Metric("load15", "Load (15 min)", "15-minute load average", LOAD),
    Metric("mem_total", "Memory", "Memory installed, bytes", BYTES, integer=True),
    Metric("mem_used", "Memory used", "Memory used, bytes", BYTES, integer=True),
    Metric("mem_available", "Memory available", "Memory available, bytes", BYTES, integer=True),
    Metric("mem_percent", "Memory used %", "Memory used percent", PERCENT,
           state=True, rollup=True, maximum="mem_max", chart="memory"),
    Metric("swap_total", "Swap", "Swap space, bytes", BYTES, integer=True),
    Metric("swap_used", "Swap used", "Swap used, bytes", BYTES, integer=True),
    Metric("swap_percent", "Swap used %", "Swap used percent", PERCENT,
           state=True, rollup=True, chart="memory"),
    Metric("disk_percent", "Fullest filesystem %", "Fullest filesystem, percent used", PERCENT,
           state=True, rollup=True, maximum="disk_max", chart="disk"),
    Metric("disk_read_bps", "Read", "Disk read bytes per second", BYTES_PER_SECOND,
           state=True, rollup=True, chart="disk"),
    Metric("disk_write_bps", "Write", "Disk write bytes per second", BYTES_PER_SECOND,
           state=True, rollup=True, chart="disk"),
    Metric("net_rx_bps", "Received", "Network received bytes per second", BYTES_PER_SECOND,
           state=True, rollup=True, chart="network"),
    Metric("net_tx_bps", "Sent", "Network sent bytes per second", BYTES_PER_SECOND,
           state=True, rollup=True, chart="network"),
    Metric("net_rx_pps", "Packets received", "Network packets received per second",
           PACKETS_PER_SECOND, rollup=True),
    Metric("net_tx_pps", "Packets sent", "Network packets sent per second",
           PACKETS_PER_SECOND, rollup=True),
    Metric("net_errors", "Network errors", "Network errors in the interval", COUNT, integer=True),
)  # fmt: skip
BY_NAME = {metric.name: metric for metric in METRICS}

# The server page's charts, in page order: (key, caption).
CHARTS = (("cpu", "CPU"), ("memory", "Memory"), ("disk", "Disk"), ("network", "Network"))

SAMPLE_COLUMNS = tuple(m.name for m in METRICS)
STATE_METRICS = tuple(m.name for m in METRICS if m.state)
ROLLUP_METRICS = tuple(m.name for m in METRICS if m.rollup)
# Maxima kept in the rollups next to the averages: (column, source metric).
ROLLUP_MAXIMA = tuple((m.maximum, m.name) for m in METRICS if m.maximum)
ROLLUP_COLUMNS = (*ROLLUP_METRICS, *(column for column, _ in ROLLUP_MAXIMA))


def field_for(metric: Metric) -> models.Field:
    """Nullable: rates are absent from an agent's first sample."""
    kind = models.BigIntegerField if metric.integer else models.FloatField
    return kind(null=True)


def figures_model(name: str, columns, module: str) -> type[models.Model]:
    """An abstract model holding one nullable field per named metric (or rollup maximum)."""
    attrs = {"__module__": module, "Meta": type("Meta", (), {"abstract": True})}
    for column in columns:
        metric = BY_NAME.get(column)
        attrs[column] = field_for(metric) if metric else models.FloatField(null=True)
    return type(name, (models.Model,), attrs)


def chart_description() -> list[dict]:
    """What the chart page hands its JavaScript (as JSON): charts, their series and axes."""
    return [
        {
            "key": key,
            "caption": caption,
            "series": [
                {"key": m.name, "label": m.label, "axis": AXIS_OF_UNIT[m.unit]}
                for m in METRICS
                if m.chart == key
            ],
        }
        for key, caption in CHARTS
    ]
