"""Access helpers: zones and records scoped to the user; another owner's id is a 404."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from provisioning.dns.models import Record, Zone, ZoneRevision


def get_zone_for_user(request, pk: int) -> Zone:
    queryset = Zone.objects.for_user(request.user).select_related("account", "server")
    return get_object_or_404(queryset, pk=pk)


def get_record_for_user(request, zone_pk: int, pk: int) -> Record:
    zone = get_zone_for_user(request, zone_pk)
    return get_object_or_404(Record.objects.select_related("zone"), pk=pk, zone=zone)


def get_revision_for_user(request, zone_pk: int, number: int) -> ZoneRevision:
    zone = get_zone_for_user(request, zone_pk)
    return get_object_or_404(ZoneRevision, zone=zone, number=number)
