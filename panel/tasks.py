"""Panel-wide tasks."""

from celery import shared_task


@shared_task(name="panel.ping")
def ping(value: str) -> str:
    """A trivial round trip used by the health check and the tests."""
    return f"pong:{value}"
