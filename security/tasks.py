"""Celery entry points of the security app."""

from celery import shared_task

from security import reset_mail, user_sessions


@shared_task(name="security.prune_sessions")
def prune_sessions() -> int:
    return user_sessions.prune()


@shared_task(name="security.send_password_reset", acks_late=True)
def send_password_reset(email: str, origin: dict) -> bool:
    """Queued by every reset request; only an existing account gets an email."""
    return reset_mail.send_reset(email, origin)
