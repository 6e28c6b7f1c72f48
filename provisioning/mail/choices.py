"""Vocabularies of mail hosting."""

from django.db import models


class DmarcPolicy(models.TextChoices):
    NONE = "none", "Monitor only (p=none)"
    QUARANTINE = "quarantine", "Quarantine (p=quarantine)"
    REJECT = "reject", "Reject (p=reject)"


class DnsMode(models.TextChoices):
    """Where the domain's zone lives: published by the panel's job, or by the customer."""

    HOSTED = "hosted", "Hosted in Hearth (published automatically)"
    EXTERNAL = "external", "Elsewhere (publish the records yourself)"
