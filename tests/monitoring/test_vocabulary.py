"""The metric vocabulary is declared once (monitoring/metrics.py) and everything follows it."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from django.utils import timezone

from monitoring import metrics
from monitoring.models import HourRollup, MinuteRollup, Sample, ServerState
from tests.monitoring.conftest import make_server


def _columns(model) -> set[str]:
    return {field.column for field in model._meta.concrete_fields}


def test_every_table_has_a_column_for_each_of_its_figures():
    assert set(metrics.SAMPLE_COLUMNS) <= _columns(Sample)
    assert set(metrics.STATE_METRICS) <= _columns(ServerState)
    for model in (MinuteRollup, HourRollup):
        assert set(metrics.ROLLUP_COLUMNS) <= _columns(model)
    integer = {m.name for m in metrics.METRICS if m.integer}
    kinds = {f.column: f.get_internal_type() for f in Sample._meta.concrete_fields}
    assert {name for name in metrics.SAMPLE_COLUMNS if kinds[name] == "BigIntegerField"} == integer


def test_the_server_page_hands_the_charts_their_series_as_json(admin_client):
    server = make_server()
    page = admin_client.get(f"/monitoring/servers/{server.pk}/").content.decode()
    pattern = r'<script id="monitoring-series" type="application/json">(.*?)</script>'
    found = re.search(pattern, page)
    described = json.loads(found.group(1))
    assert [chart["key"] for chart in described] == ["cpu", "memory", "disk", "network"]
    cpu = described[0]["series"]
    assert cpu[0] == {"key": "cpu_percent", "label": "CPU %", "axis": "pct"}
    charted = {s["key"] for chart in described for s in chart["series"]}
    assert charted == {m.name for m in metrics.METRICS if m.chart}
    for chart in described:
        assert f'data-chart="{chart["key"]}"' in page


def test_the_chart_json_carries_every_charted_series(admin_client):
    server = make_server()
    ServerState.objects.create(
        server=server, last_report_at=timezone.now(), last_sample_at=timezone.now()
    )
    data = admin_client.get(f"/monitoring/servers/{server.pk}/data.json?range=1h").json()
    charted = {m.name for m in metrics.METRICS if m.chart}
    assert charted <= set(data["series"])
    assert data["end"] - data["start"] <= timedelta(hours=1).total_seconds() * 1000


def test_prometheus_has_one_gauge_per_state_figure(client, settings, db):
    settings.MONITORING_METRICS_TOKEN = "tok"
    server = make_server()
    values = {name: 1.5 for name in metrics.STATE_METRICS}
    now = timezone.now()
    ServerState.objects.create(server=server, last_report_at=now, last_sample_at=now, **values)
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer tok").content.decode()
    for metric in metrics.METRICS:
        gauge = f'hearth_server_{metric.name}{{server="web1"}} 1.5'
        assert (gauge in text) == metric.state, metric.name
        if metric.state:
            assert f"# HELP hearth_server_{metric.name} {metric.description}" in text
