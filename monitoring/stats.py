"""The panel's own ingestion counters, kept in Redis so every web worker adds to the same totals.

Counters: reports ingested, samples stored, reports rejected by reason; a latency histogram
(cumulative buckets, as Prometheus expects). Read by the /metrics collector.

Off the request path: a request only adds to this process's tallies in memory; a background
thread sends them to Redis once a second (one pipeline, whatever the number of reports), and
`read()` sends this process's own tallies first. A Redis outage loses no request, only the
figures of that second.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import Counter

import redis
from django.conf import settings

from panel import redis_client

logger = logging.getLogger(__name__)

KEY = "hearth:monitoring:stats"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
FLUSH_SECONDS = 1.0

_lock = threading.Lock()
_tally: Counter = Counter()
_flusher: threading.Thread | None = None


def _client() -> redis.Redis:
    return redis_client.client(settings.REDIS_URL)


def _add(**amounts: float) -> None:
    global _flusher
    with _lock:
        _tally.update(amounts)
        if _flusher is None or not _flusher.is_alive():
            _flusher = threading.Thread(target=_flush_forever, name="stats-flush", daemon=True)
            _flusher.start()


def _flush_forever() -> None:
    stop = threading.Event()
    while not stop.wait(FLUSH_SECONDS):
        flush()


def flush() -> None:
    """Send this process's tallies to Redis (statistics never make anything fail)."""
    with _lock:
        pending = dict(_tally)
        _tally.clear()
    if not pending:
        return
    try:
        pipe = _client().pipeline(transaction=False)
        for field, amount in pending.items():
            if isinstance(amount, float):
                pipe.hincrbyfloat(KEY, field, amount)
            else:
                pipe.hincrby(KEY, field, amount)
        pipe.execute()
    except redis.RedisError:
        logger.warning("could not update monitoring statistics", exc_info=True)


atexit.register(flush)


def record_ingested(samples: int, seconds: float) -> None:
    buckets = {f"latency_le_{bound}": 1 for bound in LATENCY_BUCKETS if seconds <= bound}
    _add(ingested=1, samples=samples, latency_sum=float(seconds), latency_count=1, **buckets)


def record_rejected(reason: str) -> None:
    _add(**{f"rejected_{reason}": 1})


def read() -> dict[str, float]:
    flush()
    raw = _client().hgetall(KEY)
    return {k.decode(): float(v) for k, v in raw.items()}
