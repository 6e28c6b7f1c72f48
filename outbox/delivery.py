"""Sending one queued message, in the worker: once, under a row lock, with backoff."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from outbox.choices import State
from outbox.headers import one_line
from outbox.models import Message

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    sent: bool
    retry_in: int | None = None


def backoff(attempts: int) -> int:
    base, cap = settings.OUTBOX_RETRY_BACKOFF, settings.OUTBOX_RETRY_BACKOFF_MAX
    return min(cap, base * 2 ** max(0, attempts - 1))


@transaction.atomic
def deliver(message_id: int) -> Outcome:
    """Send a queued message once: the row lock keeps two workers from both sending it."""
    message = (
        Message.objects.select_for_update(skip_locked=True)
        .filter(pk=message_id, state=State.QUEUED)
        .first()
    )
    if message is None:  # sent, failed for good, or another worker holds it
        return Outcome(sent=False)
    message.attempts += 1
    message.last_attempt_at = timezone.now()
    try:
        _smtp_send(message)
    except OSError as exc:  # smtplib's errors, refused and timed-out connections
        return _record_failure(message, exc)
    message.state, message.sent_at, message.last_error = State.SENT, timezone.now(), ""
    message.text_body = message.html_body = ""  # may hold a live link
    message.save()
    return Outcome(sent=True)


def _smtp_send(message: Message) -> None:
    email = EmailMultiAlternatives(
        subject=one_line(message.subject),
        body=message.text_body,
        to=[one_line(address) for address in message.to],
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    email.send()


def _record_failure(message: Message, exc: OSError) -> Outcome:
    message.last_error = one_line(f"{type(exc).__name__}: {exc}")[:500]
    retry_in = None
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        message.state = State.FAILED
        logger.error("outbox message %s failed for good: %s", message.pk, message.last_error)
    else:
        retry_in = backoff(message.attempts)
    message.save()
    return Outcome(sent=False, retry_in=retry_in)
