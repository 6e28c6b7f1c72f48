"""Outgoing email: subject / text / html template triplets under templates/emails/."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

logger = logging.getLogger(__name__)


def absolute(url_name: str, **kwargs) -> str:
    return settings.PANEL_BASE_URL + reverse(url_name, kwargs=kwargs)


def send(template: str, to: str, context: dict) -> bool:
    """Render emails/<template>_{subject,body}.txt and _body.html and send over SMTP.

    Runs after commit; a mail server outage is logged, never raised into the request.
    """
    context = {"panel_url": settings.PANEL_BASE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}_body.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string(f"emails/{template}_body.html", context), "text/html"
    )
    try:
        message.send()
    except OSError:  # smtplib.SMTPException is an OSError
        logger.exception("could not send the %s email to user", template)
        return False
    return True
