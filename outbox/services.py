"""Queue an email with the event that causes it; send it later, exactly once, with retries.

`queue_email(kind, to, context)` renders `emails/<kind>_{subject.txt,body.txt,body.html}`
and writes a `Message` row in the caller's transaction; after the commit the row's id is
handed to the `outbox.send_message` task. A broker outage at that moment loses nothing:
beat's `outbox.dispatch_queued` hands over every row still queued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from outbox.choices import State
from outbox.headers import one_line
from outbox.models import Message

logger = logging.getLogger(__name__)


def render(template: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) of the template triplet `<template>_{subject,body}.*`."""
    context = {"panel_url": settings.PANEL_BASE_URL, **context}
    subject = render_to_string(f"{template}_subject.txt", context)
    text = render_to_string(f"{template}_body.txt", context)
    html = render_to_string(f"{template}_body.html", context)
    return one_line(subject), text, html


def queue_email(
    kind: str, to: list[str] | str, context: dict, *, template: str | None = None
) -> Message:
    """Write the message in the current transaction; its sending starts after the commit.

    The templates are `emails/<kind>_*` unless `template` names another prefix.
    """
    subject, text, html = render(template or f"emails/{kind}", context)
    recipients = [one_line(address) for address in ([to] if isinstance(to, str) else to)]
    message = Message.objects.create(
        kind=kind, to=recipients, subject=subject, text_body=text, html_body=html
    )
    transaction.on_commit(lambda: hand_over(message.pk))
    return message


def queue_emails(
    kind: str, to: list[str], contexts: list[dict], *, template: str | None = None
) -> list[Message]:
    """One message per context to the same recipients, in one INSERT; handed over after commit."""
    recipients = [one_line(address) for address in to]
    rows = []
    for context in contexts:
        subject, text, html = render(template or f"emails/{kind}", context)
        rows.append(
            Message(kind=kind, to=recipients, subject=subject, text_body=text, html_body=html)
        )
    messages = Message.objects.bulk_create(rows)
    ids = [message.pk for message in messages]
    transaction.on_commit(lambda: [hand_over(message_id) for message_id in ids])
    return messages


def hand_over(message_id: int, countdown: int | None = None) -> bool:
    """Enqueue the send task; a broker outage is logged, the row waits for the sweep."""
    from outbox.tasks import send_message

    try:
        send_message.apply_async((message_id,), countdown=countdown)
    except Exception:  # kombu raises many kinds while the broker is unreachable
        logger.warning("outbox message %s waits for the broker", message_id, exc_info=True)
        return False
    return True


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


@transaction.atomic
def resend(message: Message, *, actor, request=None) -> Message:
    """A failed message goes back to the queue (an administrator's action, audited)."""
    from security import audit  # security sends through the outbox: import it late

    requeued = Message.objects.filter(pk=message.pk, state=State.FAILED).update(
        state=State.QUEUED, attempts=0, last_error=""
    )
    if requeued:
        audit.record(
            request or actor,
            "outbox.message_resent",
            target=message,
            actor=actor,
            kind=message.kind,
            to=message.to,
        )
        transaction.on_commit(lambda: hand_over(message.pk))
    message.refresh_from_db()
    return message


def dispatch_queued() -> int:
    """Hand over queued rows nobody is working on (broker was down, or a worker died)."""
    quiet = timezone.now() - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER)
    stale = Message.objects.filter(state=State.QUEUED, created_at__lt=quiet).exclude(
        last_attempt_at__gte=quiet
    )
    ids = list(stale.values_list("pk", flat=True)[:500])
    return sum(hand_over(pk) for pk in ids)
