"""A real broker outage for this process's Celery producer.

`unreachable_broker()` points the producer at a port nothing listens on: every send is
refused as a stopped Redis refuses it. The cache and the rate-limit counters keep the
stack's Redis, and a running worker keeps its own connection.
"""

from __future__ import annotations

from contextlib import contextmanager

from panel.celery import app
from panel.stack.common import HOST, free_port


def _switch(url: str) -> None:
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def unreachable_broker():
    original = app.conf.broker_url
    _switch(f"redis://{HOST}:{free_port()}/0")
    try:
        yield
    finally:
        _switch(original)
