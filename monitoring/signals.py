"""Monitoring's answers to what provisioning announces: a retired server loses its agent keys."""

from __future__ import annotations

from django.dispatch import receiver

from monitoring import services
from provisioning.servers.signals import server_retired


@receiver(server_retired, dispatch_uid="monitoring.revoke_keys_of_retired")
def _revoke_keys_of_retired(sender, server, actor, **kwargs) -> None:
    services.revoke_keys_of_retired(server, actor=actor)
