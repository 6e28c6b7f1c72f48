"""What every provisioned resource (zone, database, mail domain, mailbox, alias…) shares:
its state as the jobs move it (ResourceState), the last error a customer may read, and the
quota rule that failed resources use no slot of the plan."""

from __future__ import annotations

from django.db import models

from accounts.querysets import OwnedQuerySet
from provisioning.engine.choices import ResourceState

# A job is still working on the resource.
BUSY_STATES = frozenset({ResourceState.PENDING, ResourceState.UPDATING, ResourceState.DELETING})


class ResourceQuerySet(OwnedQuerySet):
    def counting_quota(self):
        """The rows that use a slot of the plan (failed ones are kept but don't count)."""
        return self.exclude(state=ResourceState.FAILED)


class ProvisionedResource(models.Model):
    state = models.CharField(
        max_length=16, choices=ResourceState.choices, default=ResourceState.PENDING
    )
    error_message = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def is_busy(self) -> bool:
        return self.state in BUSY_STATES
