"""The DNS vocabulary, declared once: record types, revision states, zone templates."""

from django.db import models

SECONDARY_ROLE = "dns-secondary"  # a Server role: a BIND secondary fed by NOTIFY + AXFR


class RecordType(models.TextChoices):
    A = "A", "A (IPv4 address)"
    AAAA = "AAAA", "AAAA (IPv6 address)"
    CNAME = "CNAME", "CNAME (alias)"
    MX = "MX", "MX (mail exchanger)"
    TXT = "TXT", "TXT (text)"
    SRV = "SRV", "SRV (service)"
    CAA = "CAA", "CAA (certificate authorities)"
    NS = "NS", "NS (delegation)"
    PTR = "PTR", "PTR (reverse zones only)"


class RevisionState(models.TextChoices):
    PENDING = "pending", "Being applied"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"


# The templates a new installation starts with (data migration 0004); admins edit them
# afterwards (ZoneTemplate). "@" is the apex; values are placeholders to edit.
STARTER_TEMPLATES: dict[str, dict] = {
    "web": {
        "label": "Website: apex A/AAAA and a www alias",
        "records": [
            ("@", "A", "192.0.2.10"),
            ("@", "AAAA", "2001:db8::10"),
            ("www", "CNAME", "@"),
        ],
    },
    "mail": {
        "label": "Mail: MX and an SPF placeholder",
        "records": [
            ("@", "MX", "10 mail"),
            ("mail", "A", "192.0.2.25"),
            ("@", "TXT", "v=spf1 mx -all"),
        ],
    },
}
