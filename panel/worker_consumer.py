"""The Celery worker's consumer, with a guard around a celery 5.7.0 / kombu 5.7.0 crash.

When the broker connection drops while messages are unacknowledged (an `acks_late` task
running or prefetched), celery 5.7.0's `on_connection_error_after_connected` first calls
kombu's `Connection.collect()`, which detaches the transport (`transport.client = None`)
but keeps the default channel, and then `connection.close()`, which closes that channel
again; the Redis channel then tries to restore the unacknowledged messages through a pool
it rebuilds from `transport.client` and raises `AttributeError: 'NoneType' object has no
attribute 'hostname'`. `ignore_errors` only ignores connection errors, so the worker
stops with "Unrecoverable error" and never consumes again.

A task that finishes after the reconnect is acknowledged through that old channel, whose
pool the close has just dropped: it fails the same way. celery 5.6 did not close here:
`collect()` has already released what the connection held, and the old channel keeps its
pool, so a late acknowledgement reaches Redis once it is back. This consumer skips that
close (the rest of the reconnect is celery's own).
"""

from __future__ import annotations

from celery.worker.consumer import Consumer as CeleryConsumer


def _released_by_collect() -> None:
    """Stands in for close() on a connection that collect() already released."""


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc):
        if self.connection is not None:
            self.connection.close = _released_by_collect
        super().on_connection_error_after_connected(exc)
