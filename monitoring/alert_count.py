"""The open-alert count on the administrators' top bar: from the cache, else the database.

Every evaluation pass (beat, once a minute) counts the open events and caches the figure,
so a page reads it without a query. Without Redis the page counts in the database instead
(one COUNT on the open events): a cache outage never fails a page nor hides an alert
(issue 16, item 3). A Redis that comes back empty shows no badge until the next pass.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from redis import RedisError

from monitoring.models import AlertEvent

logger = logging.getLogger(__name__)

KEY = "monitoring:open-alerts"


def counted() -> int:
    return AlertEvent.objects.open().count()


def refresh() -> int:
    """Count in the database and cache the figure (a cache outage only skips the caching)."""
    count = counted()
    try:
        cache.set(KEY, count, timeout=None)
    except RedisError as exc:
        logger.warning("open-alert count not cached (Redis unavailable: %s)", exc)
    return count


def current() -> int:
    try:
        return int(cache.get(KEY, 0))
    except RedisError as exc:
        logger.warning("open-alert count read from the database (Redis unavailable: %s)", exc)
        return counted()
