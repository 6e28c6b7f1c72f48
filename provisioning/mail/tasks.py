"""Celery entry points of mail hosting (beat): each calls a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="mail.retire_dkim_keys")
def retire_dkim_keys() -> int:
    from provisioning.mail.domains import retire_due_keys

    return retire_due_keys()


@shared_task(name="mail.refresh_usage")
def refresh_usage() -> int:
    from provisioning.mail.usage import refresh_all

    return refresh_all()
