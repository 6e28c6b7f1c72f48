"""The plan's DNS-zone quota: zones that count against it."""

from __future__ import annotations


def zones_used(account) -> int:
    from provisioning.dns.models import Zone

    return Zone.objects.filter(account=account).counting_quota().count()
