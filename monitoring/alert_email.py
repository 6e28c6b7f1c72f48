"""The email that tells administrators an alert opened or closed, through the outbox.

`queue` is called by `monitoring.alerts` inside the transaction that opened or closed the
alert: the outbox row is written in that transaction and sent (with retries) after it.
The subject names the server: the outbox keeps every header to one line, whatever the
name holds. This module imports nothing of `alerts` or `tasks`, so imports point one
way: tasks -> alerts -> alert_email.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from monitoring.choices import CloseReason
from monitoring.models import AlertEvent
from outbox.services import queue_email, queue_emails

TEMPLATE = "monitoring/emails/alert"
DIGEST_TEMPLATE = "monitoring/emails/alert_digest"
DIGEST_LINES = 50  # events listed in a summary email; the alerts page has the rest


def queue(event: AlertEvent, *, opened: bool) -> int:
    """Write the email to every active administrator; returns the number of recipients."""
    admins = _admins()
    if not admins:
        return 0
    context = {"event": event, "opened": opened, "retired": _closed_by_retirement(event, opened)}
    queue_email("alert", admins, context, template=TEMPLATE)
    return len(admins)


def queue_many(events: list[AlertEvent], *, opened: bool) -> int:
    """The emails of a whole evaluation pass: one query for the recipients, one INSERT.

    Up to `MONITORING_ALERT_DIGEST_OVER` events, one email each; above, one summary email
    (its first `DIGEST_LINES` events and how many more). Returns messages × recipients.
    """
    if not events:
        return 0
    admins = _admins()
    if not admins:
        return 0
    if len(events) > settings.MONITORING_ALERT_DIGEST_OVER:
        context = {
            "events": events[:DIGEST_LINES],
            "count": len(events),
            "more": max(0, len(events) - DIGEST_LINES),
            "opened": opened,
        }
        queue_email("alert_digest", admins, context, template=DIGEST_TEMPLATE)
        return len(admins)
    contexts = [
        {"event": e, "opened": opened, "retired": _closed_by_retirement(e, opened)} for e in events
    ]
    queue_emails("alert", admins, contexts, template=TEMPLATE)
    return len(events) * len(admins)


def _admins() -> list[str]:
    return list(
        get_user_model()
        .objects.filter(role="admin", is_active=True)
        .values_list("email", flat=True)
    )


def _closed_by_retirement(event: AlertEvent, opened: bool) -> bool:
    return not opened and event.close_reason == CloseReason.SERVER_RETIRED


@shared_task(name="monitoring.tasks.send_alert_email")  # the name queued messages carry
def send_alert_email(event_id: int, opened: bool) -> int:
    """Messages queued before the outbox existed: move them into it."""
    with transaction.atomic():
        event = AlertEvent.objects.select_related("rule", "server").filter(pk=event_id).first()
        return 0 if event is None else queue(event, opened=opened)
