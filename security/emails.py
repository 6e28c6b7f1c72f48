"""Security emails (verification, password reset, notices) through the one outbox.

Templates are subject / text / html triplets under templates/emails/.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from outbox.models import Message
from outbox.services import queue_email


def absolute(url_name: str, **kwargs) -> str:
    return settings.PANEL_BASE_URL + reverse(url_name, kwargs=kwargs)


def queue(template: str, to: str, context: dict) -> Message:
    """Write the email in the caller's transaction; the outbox sends it after the commit."""
    return queue_email(template, to, context)
