"""Celery entry points of the outbox: take an id, call the service."""

from __future__ import annotations

from celery import shared_task

from outbox import services


@shared_task(bind=True, name="outbox.send_message", max_retries=None, acks_late=True)
def send_message(self, message_id: int) -> bool:
    """Retried with exponential backoff while SMTP is down; the row counts the attempts."""
    outcome = services.deliver(message_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.sent


@shared_task(name="outbox.dispatch_queued")
def dispatch_queued() -> int:
    return services.dispatch_queued()
