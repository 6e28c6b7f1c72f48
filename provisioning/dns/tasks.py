"""Celery entry points of DNS hosting."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="dns.drift_check")
def drift_check() -> int:
    from provisioning.dns import drift

    return drift.record_report().pk
