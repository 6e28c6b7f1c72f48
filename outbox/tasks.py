"""Celery entry points of the outbox, and the hand-over of a message id to them.

Imports point one way: services (queueing) -> tasks (hand-over, sweep) -> delivery (sending).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from outbox import delivery
from outbox.choices import State
from outbox.models import Message

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="outbox.send_message", max_retries=None, acks_late=True)
def send_message(self, message_id: int) -> bool:
    """Retried with exponential backoff while SMTP is down; the row counts the attempts."""
    outcome = delivery.deliver(message_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.sent


def hand_over(message_id: int, countdown: int | None = None) -> bool:
    """Enqueue the send task; a broker outage is logged, the row waits for the sweep."""
    try:
        send_message.apply_async((message_id,), countdown=countdown)
    except Exception:  # kombu raises many kinds while the broker is unreachable
        logger.warning("outbox message %s waits for the broker", message_id, exc_info=True)
        return False
    return True


@shared_task(name="outbox.dispatch_queued")
def dispatch_queued() -> int:
    """Hand over queued rows nobody is working on (broker was down, or a worker died)."""
    quiet = timezone.now() - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER)
    stale = Message.objects.filter(state=State.QUEUED, created_at__lt=quiet).exclude(
        last_attempt_at__gte=quiet
    )
    ids = list(stale.values_list("pk", flat=True)[:500])
    return sum(hand_over(pk) for pk in ids)
