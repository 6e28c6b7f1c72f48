"""The provisioning section of the dashboards: jobs in flight and recent failures."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts import dashboard
from provisioning.engine.choices import JobState
from provisioning.engine.models import ProvisioningJob

RECENT = timedelta(days=7)
TEMPLATE = "provisioning/_dashboard_jobs.html"


def _jobs(queryset) -> dict:
    queryset = queryset.select_related("server", "account")
    since = timezone.now() - RECENT
    return {
        "in_flight": list(queryset.filter(state__in=[JobState.PENDING, JobState.RUNNING])[:10]),
        "failed": list(queryset.filter(state=JobState.FAILED, finished_at__gte=since)[:5]),
    }


def customer_jobs(request) -> dict | None:
    account = getattr(request.user, "hosting_account", None)
    if account is None:
        return None
    return _jobs(ProvisioningJob.objects.filter(account=account))


def admin_jobs(request) -> dict:
    return {**_jobs(ProvisioningJob.objects.all()), "admin": True}


def register() -> None:
    dashboard.register_section(dashboard.CUSTOMER, 20, TEMPLATE, customer_jobs)
    dashboard.register_section(dashboard.ADMIN, 20, TEMPLATE, admin_jobs)
