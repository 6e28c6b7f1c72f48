"""The panel's own ingestion counters, kept in Redis so every web worker adds to the same totals.

Counters: reports ingested, samples stored, reports rejected by reason; a latency histogram
(cumulative buckets, as Prometheus expects). Read by the /metrics collector.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings

from panel import redis_client

logger = logging.getLogger(__name__)

KEY = "hearth:monitoring:stats"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _client() -> redis.Redis:
    return redis_client.client(settings.REDIS_URL)


def _safely(update) -> None:
    # Statistics must never make ingestion fail.
    try:
        pipe = _client().pipeline(transaction=False)
        update(pipe)
        pipe.execute()
    except redis.RedisError:
        logger.warning("could not update monitoring statistics", exc_info=True)


def record_ingested(samples: int, seconds: float) -> None:
    def update(pipe):
        pipe.hincrby(KEY, "ingested", 1)
        pipe.hincrby(KEY, "samples", samples)
        pipe.hincrbyfloat(KEY, "latency_sum", seconds)
        pipe.hincrby(KEY, "latency_count", 1)
        for bound in LATENCY_BUCKETS:
            if seconds <= bound:
                pipe.hincrby(KEY, f"latency_le_{bound}", 1)

    _safely(update)


def record_rejected(reason: str) -> None:
    _safely(lambda pipe: pipe.hincrby(KEY, f"rejected_{reason}", 1))


def read() -> dict[str, float]:
    raw = _client().hgetall(KEY)
    return {k.decode(): float(v) for k, v in raw.items()}
