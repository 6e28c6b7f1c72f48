"""Monitoring's reactions to changes made elsewhere: a retired server loses its agent keys."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from monitoring import services
from provisioning.models import Server


@receiver(post_save, sender=Server, dispatch_uid="monitoring.revoke_keys_of_retired")
def _revoke_keys_of_retired(sender, instance: Server, created: bool, **kwargs) -> None:
    if not created:
        services.revoke_keys_of_retired(instance)
