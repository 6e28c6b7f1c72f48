"""Zones, their records (the working copy customers edit) and revisions (what was applied)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from provisioning.dns.choices import RecordType, RevisionState
from provisioning.engine.resources import ProvisionedResource, ResourceQuerySet


class ZoneQuerySet(ResourceQuerySet):
    owner_field = "account__owner"


class Zone(ProvisionedResource):
    """A zone hosted on a PowerDNS primary. `name` is ASCII (IDNA), lower case, with the dot."""

    account = models.ForeignKey(
        "accounts.HostingAccount", on_delete=models.PROTECT, related_name="dns_zones"
    )
    server = models.ForeignKey(
        "provisioning.Server", on_delete=models.PROTECT, related_name="dns_zones"
    )
    name = models.CharField(max_length=255, unique=True)
    display_name = models.CharField(max_length=255)
    dnssec = models.BooleanField(default=False)
    # What to give the registrar, as checked against the served DNSKEY (see dnssec.py).
    ds_records = models.JSONField(default=list, blank=True)
    dnskey_records = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ZoneQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def lock_scope(self) -> str:
        return f"dns-zone:{self.name}"

    @property
    def is_reverse(self) -> bool:
        return self.name.endswith((".in-addr.arpa.", ".ip6.arpa."))

    def applied_revision(self) -> ZoneRevision | None:
        return self.revisions.filter(state=RevisionState.APPLIED).order_by("-number").first()


class Record(models.Model):
    """One record of the zone's working copy: what the customer wants the zone to hold.

    `name` is absolute ASCII with the trailing dot; `content` is in the canonical
    presentation format PowerDNS uses (TXT as quoted strings of at most 255 bytes).
    """

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="records")
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=10, choices=RecordType.choices)
    ttl = models.PositiveIntegerField()
    content = models.TextField()

    class Meta:
        ordering = ["name", "type", "content"]
        indexes = [models.Index(fields=["zone", "name", "type"])]

    def __str__(self) -> str:
        return f"{self.name} {self.ttl} {self.type} {self.content}"

    def as_tuple(self) -> tuple[str, str, int, str]:
        return (self.name, self.type, self.ttl, self.content)


class ZoneRevision(models.Model):
    """A change set applied (or being applied) to the server, with the full resulting state."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    reason = models.CharField(max_length=100)
    # The whole record set after this revision: [[name, type, ttl, content], ...].
    records = models.JSONField(default=list)
    # Against the previous applied revision: {"added": [...], "removed": [...]}.
    diff = models.JSONField(default=dict)
    state = models.CharField(
        max_length=16, choices=RevisionState.choices, default=RevisionState.PENDING
    )
    error_message = models.CharField(max_length=500, blank=True, default="")
    serial_before = models.BigIntegerField(null=True, blank=True)
    serial = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "number"], name="dns_revision_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.zone} #{self.number}"

    def record_tuples(self) -> set[tuple[str, str, int, str]]:
        return {(n, t, int(ttl), c) for n, t, ttl, c in self.records}


class ZoneSecondary(models.Model):
    """What a secondary served for a zone when the panel last asked (set by the zone's jobs)."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="secondaries")
    server = models.ForeignKey("provisioning.Server", on_delete=models.CASCADE, related_name="+")
    serial = models.BigIntegerField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["server__name"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "server"], name="dns_secondary_unique")
        ]

    def __str__(self) -> str:
        return f"{self.zone} on {self.server}"

    def in_sync(self, primary_serial: int | None) -> bool:
        return self.serial is not None and self.serial == primary_serial


class ZoneTemplate(models.Model):
    """Records a customer may start a new zone with; managed by admins."""

    slug = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    # [[name, type, value], ...] with names relative to the new zone ("@" is its apex).
    records = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label

    def as_text(self) -> str:
        return "\n".join(" ".join(str(part) for part in record) for record in self.records)
