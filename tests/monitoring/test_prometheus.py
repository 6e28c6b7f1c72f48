"""GET /metrics: bearer token, per-server gauges from the database, ingestion counters."""

from __future__ import annotations

import json

from prometheus_client.parser import text_string_to_metric_families

from monitoring import stats
from tests.monitoring.conftest import now_ts, report


def _scrape(client, token):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get("/metrics", **headers)


def test_metrics_are_disabled_without_a_token(client, settings):
    settings.MONITORING_METRICS_TOKEN = ""
    assert _scrape(client, "anything").status_code == 404


def test_metrics_need_the_right_token(client, settings):
    settings.MONITORING_METRICS_TOKEN = "s3cret-token"
    assert _scrape(client, None).status_code == 401
    assert _scrape(client, "wrong").status_code == 401


def test_metrics_expose_latest_samples_and_counters(client, settings, server, agent_key):
    settings.MONITORING_METRICS_TOKEN = "s3cret-token"
    before = stats.read()
    client.post(
        "/api/agent/v1/metrics",
        data=json.dumps(report(server, [now_ts(-1)])),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {agent_key}",
    )
    client.post(
        "/api/agent/v1/metrics",
        data=b"{",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {agent_key}",
    )
    response = _scrape(client, "s3cret-token")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'hearth_server_cpu_percent{server="web1"} 12.5' in text
    assert 'hearth_server_online{server="web1"} 1.0' in text
    after = stats.read()
    assert after["ingested"] == before.get("ingested", 0) + 1
    assert after["rejected_invalid"] == before.get("rejected_invalid", 0) + 1
    assert f"hearth_agent_reports_ingested_total {after['ingested']}" in text
    assert 'hearth_agent_reports_rejected_total{reason="invalid"}' in text
    assert "hearth_agent_ingestion_seconds_bucket" in text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert families["hearth_agent_ingestion_seconds"].type == "histogram"
    assert families["hearth_server_cpu_percent"].samples[0].labels == {"server": "web1"}
