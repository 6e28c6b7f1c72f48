"""Celery entry points: storage maintenance, rollups, alert evaluation (beat).

The alert email task lives in `monitoring.alert_email` (keeping its name
`monitoring.tasks.send_alert_email`); it is imported here so the worker registers it.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from monitoring import alerts, rollups, storage
from monitoring.alert_email import send_alert_email  # noqa: F401  (registered with the tasks)
from monitoring.models import HourRollup, MinuteRollup


@shared_task
def maintain_storage() -> dict:
    """Create tomorrow's partitions ahead, drop expired ones, trim old rollups."""
    result = storage.maintain_partitions()
    now = timezone.now()
    minute_cutoff = now - timedelta(days=settings.MONITORING_MINUTE_RETENTION_DAYS)
    hour_cutoff = now - timedelta(days=settings.MONITORING_HOUR_RETENTION_DAYS)
    result["minute_rows_deleted"] = MinuteRollup.objects.filter(bucket__lt=minute_cutoff).delete()[
        0
    ]
    result["hour_rows_deleted"] = HourRollup.objects.filter(bucket__lt=hour_cutoff).delete()[0]
    return result


@shared_task
def roll_up() -> dict:
    return rollups.roll_up()


@shared_task
def evaluate_alerts() -> dict:
    return alerts.evaluate()
