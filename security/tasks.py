"""Celery entry points of the security app."""

from celery import shared_task

from security import user_sessions


@shared_task(name="security.prune_sessions")
def prune_sessions() -> int:
    return user_sessions.prune()
