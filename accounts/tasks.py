"""Celery entry points of accounts."""

from __future__ import annotations

from celery import shared_task

from accounts import quota_notices


@shared_task
def send_quota_warnings() -> int:
    return quota_notices.notify_all()
