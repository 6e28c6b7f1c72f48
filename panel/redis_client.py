"""The one Redis client helper: a connection pool per URL, with short timeouts.

Short timeouts make a Redis outage answer in about a second instead of hanging a web
request; each caller decides what an outage means for its feature.
"""

from __future__ import annotations

from functools import lru_cache

import redis

CONNECT_TIMEOUT = 1.0
COMMAND_TIMEOUT = 1.0


@lru_cache(maxsize=8)
def client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=COMMAND_TIMEOUT
    )
