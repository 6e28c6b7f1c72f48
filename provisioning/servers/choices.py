from django.db import models


class ServerRole(models.TextChoices):
    DATABASE = "database", "Database"
    MAIL = "mail", "Mail"
    DNS = "dns", "DNS (PowerDNS primary)"
    DNS_SECONDARY = "dns-secondary", "DNS secondary (BIND)"
    WEB = "web", "Web"


class ServerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"
