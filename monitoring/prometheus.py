"""GET /metrics in the Prometheus text format, behind a bearer token.

Per-server gauges are read from the database at scrape time (the latest report of each
server); the panel's ingestion counters and latency histogram come from Redis, so every
web worker contributes to the same totals (see monitoring/stats.py). Without Redis the
scrape still answers with the per-server gauges and leaves the ingestion families out (a
counter reported as 0 would look like a reset to Prometheus).
"""

from __future__ import annotations

import hmac
import logging

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector

from monitoring import stats
from monitoring.metrics import METRICS

logger = logging.getLogger(__name__)

# One gauge per figure kept in the server state, named and described by the vocabulary.
GAUGES = {m.name: m.description for m in METRICS if m.state}


class LatestSampleCollector(Collector):
    def collect(self):
        from monitoring.models import ServerState

        states = list(ServerState.objects.select_related("server").order_by("server__name"))
        now = timezone.now()
        families = {
            name: GaugeMetricFamily(f"hearth_server_{name}", help_text, labels=["server"])
            for name, help_text in GAUGES.items()
        }
        seen = GaugeMetricFamily(
            "hearth_server_last_report_timestamp_seconds", "Last report", labels=["server"]
        )
        online = GaugeMetricFamily(
            "hearth_server_online", "1 if the agent reports", labels=["server"]
        )
        for state in states:
            label = [state.server.name]
            for name, family in families.items():
                value = getattr(state, name)
                if value is not None:
                    family.add_metric(label, value)
            seen.add_metric(label, state.last_report_at.timestamp())
            online.add_metric(label, 1.0 if state.is_online(now) else 0.0)
        yield from families.values()
        yield seen
        yield online


class IngestionCollector(Collector):
    def collect(self):
        try:
            data = stats.read()
        except redis.RedisError as exc:
            logger.warning("/metrics without the ingestion counters (Redis unavailable: %s)", exc)
            return
        yield CounterMetricFamily(
            "hearth_agent_reports_ingested", "Agent reports accepted", value=data.get("ingested", 0)
        )
        yield CounterMetricFamily(
            "hearth_agent_samples_stored", "Samples stored", value=data.get("samples", 0)
        )
        rejected = CounterMetricFamily(
            "hearth_agent_reports_rejected", "Agent reports refused", labels=["reason"]
        )
        for key, value in sorted(data.items()):
            if key.startswith("rejected_"):
                rejected.add_metric([key.removeprefix("rejected_")], value)
        yield rejected
        buckets = [
            (str(bound), data.get(f"latency_le_{bound}", 0)) for bound in stats.LATENCY_BUCKETS
        ]
        buckets.append(("+Inf", data.get("latency_count", 0)))
        yield HistogramMetricFamily(
            "hearth_agent_ingestion_seconds",
            "Time to validate and store one report",
            buckets=buckets,
            sum_value=data.get("latency_sum", 0),
        )


def build_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LatestSampleCollector())
    registry.register(IngestionCollector())
    return registry


def _authorized(request) -> bool:
    expected = settings.MONITORING_METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    )


@login_not_required
@require_GET
def metrics_view(request):
    if not settings.MONITORING_METRICS_TOKEN:
        raise Http404("The metrics endpoint is disabled.")
    if not _authorized(request):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(build_registry()), content_type=CONTENT_TYPE_LATEST)
