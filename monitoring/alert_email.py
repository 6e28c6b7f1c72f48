"""The email that tells administrators an alert opened or closed, and its Celery task.

`queue` is called by `monitoring.alerts` inside the transaction that opened or closed the
alert; the task runs after the commit and is retried with bounded exponential backoff
while the mail server is unreachable. This module imports nothing of `alerts` or `tasks`,
so imports point one way: tasks -> alerts -> alert_email.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from monitoring.choices import CloseReason
from monitoring.models import AlertEvent


def queue(event: AlertEvent, *, opened: bool) -> None:
    """After the commit, hand the email to its own task (retried while SMTP is down)."""
    transaction.on_commit(lambda: send_alert_email.delay(event.pk, opened))


def deliver(event_id: int, *, opened: bool) -> int:
    """Email the opening or closing of an alert to every active administrator.

    Returns the number of recipients. A failed SMTP send raises (OSError: smtplib's
    exceptions and refused/timed-out connections), so the task can retry it.
    """
    event = AlertEvent.objects.select_related("rule", "server").filter(pk=event_id).first()
    admins = list(
        get_user_model()
        .objects.filter(role="admin", is_active=True)
        .values_list("email", flat=True)
    )
    if event is None or not admins:
        return 0
    context = {"event": event, "opened": opened, "retired": _closed_by_retirement(event, opened)}
    send_mail(
        render_to_string("monitoring/emails/alert_subject.txt", context).strip(),
        render_to_string("monitoring/emails/alert_body.txt", context),
        None,
        admins,
        html_message=render_to_string("monitoring/emails/alert_body.html", context),
    )
    return len(admins)


def _closed_by_retirement(event: AlertEvent, opened: bool) -> bool:
    return not opened and event.close_reason == CloseReason.SERVER_RETIRED


@shared_task(
    name="monitoring.tasks.send_alert_email",  # the name queued messages already carry
    autoretry_for=(OSError,),  # smtplib.SMTPException and refused/timed-out connections
    retry_backoff=settings.MONITORING_ALERT_EMAIL_RETRY_BACKOFF,
    retry_backoff_max=settings.MONITORING_ALERT_EMAIL_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.MONITORING_ALERT_EMAIL_MAX_RETRIES,
)
def send_alert_email(event_id: int, opened: bool) -> int:
    """Queued after the commit that opened or closed the alert; a mail outage delays it."""
    return deliver(event_id, opened=opened)
