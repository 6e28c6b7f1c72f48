"""Mail domains, mailboxes, aliases (catch-all included) and auto-replies.

Passwords are not stored here at all: the service hashes them (`passwords.hash_password`)
and the hash travels in the job's parameters to the mail server, then is wiped from the job.
The DKIM private key takes the same road; the panel keeps only the public TXT value.
"""

from __future__ import annotations

from django.db import models

from provisioning.engine.resources import ProvisionedResource, ResourceQuerySet
from provisioning.mail.choices import DmarcPolicy, DnsMode


class MailDomainQuerySet(ResourceQuerySet):
    owner_field = "account__owner"


class MailDomain(ProvisionedResource):
    """A domain whose mail the mail server accepts. `name` is ASCII (IDNA), lower case."""

    account = models.ForeignKey(
        "accounts.HostingAccount", on_delete=models.PROTECT, related_name="mail_domains"
    )
    server = models.ForeignKey(
        "provisioning.Server", on_delete=models.PROTECT, related_name="mail_domains"
    )
    # The Hearth zone the records go into (None: the zone is elsewhere).
    zone = models.ForeignKey(
        "dns.Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="mail_domains"
    )
    name = models.CharField(max_length=253, unique=True)
    display_name = models.CharField(max_length=253)
    dns_mode = models.CharField(max_length=10, choices=DnsMode.choices)
    dmarc_policy = models.CharField(
        max_length=12, choices=DmarcPolicy.choices, default=DmarcPolicy.QUARANTINE
    )
    dkim_selector = models.CharField(max_length=63)
    dkim_txt = models.TextField()  # "v=DKIM1; k=rsa; p=..." (the public half only)
    # After a rotation: the old selector stays published and signing-capable until retire_at.
    dkim_old_selector = models.CharField(max_length=63, blank=True, default="")
    dkim_old_txt = models.TextField(blank=True, default="")
    dkim_retire_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MailDomainQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def lock_scope(self) -> str:
        """Jobs that publish DNS share the zone's scope, so they never race a zone change."""
        return self.zone.lock_scope if self.zone_id else f"mail-domain:{self.name}"

    @property
    def catch_all(self) -> Alias | None:
        return self.aliases.filter(local_part="").first()


class MailboxQuerySet(ResourceQuerySet):
    owner_field = "domain__account__owner"


class Mailbox(ProvisionedResource):
    domain = models.ForeignKey(MailDomain, on_delete=models.PROTECT, related_name="mailboxes")
    local_part = models.CharField(max_length=64)
    address = models.CharField(max_length=254, unique=True)
    quota_mb = models.PositiveIntegerField()
    suspended = models.BooleanField(default=False)
    # Read from Dovecot (backend usage()), refreshed by beat and when the page asks.
    used_bytes = models.BigIntegerField(default=0)
    message_count = models.PositiveIntegerField(default=0)
    usage_checked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MailboxQuerySet.as_manager()

    class Meta:
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    @property
    def lock_scope(self) -> str:
        return f"mailbox:{self.address}"

    @property
    def used_mb(self) -> float:
        return round(self.used_bytes / (1024 * 1024), 1)


class AliasQuerySet(ResourceQuerySet):
    owner_field = "domain__account__owner"


class Alias(ProvisionedResource):
    """Mail to `address` goes to every destination. An empty local part is the catch-all
    (`@domain`), which only takes mail for addresses that are no mailbox or alias."""

    domain = models.ForeignKey(MailDomain, on_delete=models.PROTECT, related_name="aliases")
    local_part = models.CharField(max_length=64, blank=True)
    address = models.CharField(max_length=254, unique=True)  # "x@d", or "@d" for the catch-all
    destinations = models.JSONField(default=list)

    objects = AliasQuerySet.as_manager()

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "aliases"

    def __str__(self) -> str:
        return self.address

    @property
    def is_catch_all(self) -> bool:
        return not self.local_part

    @property
    def lock_scope(self) -> str:
        return f"mail-alias:{self.address}"


class Vacation(models.Model):
    """An auto-reply (sieve vacation) between two dates; absent row = no auto-reply."""

    mailbox = models.OneToOneField(Mailbox, on_delete=models.CASCADE, related_name="vacation")
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=4000)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"auto-reply of {self.mailbox}"
