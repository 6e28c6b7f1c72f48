"""Queue an email with the event that causes it; send it later, exactly once, with retries.

`queue_email(kind, to, context)` renders `emails/<kind>_{subject.txt,body.txt,body.html}`
and writes a `Message` row in the caller's transaction; after the commit the row's id is
handed to the `outbox.send_message` task. A broker outage at that moment loses nothing:
beat's `outbox.dispatch_queued` hands over every row still queued.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from outbox.choices import State
from outbox.headers import one_line
from outbox.models import Message
from outbox.tasks import hand_over

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
