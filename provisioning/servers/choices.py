from django.db import models


class ServerRole(models.TextChoices):
    DATABASE = "database", "Database"
    MAIL = "mail", "Mail"
    DNS = "dns", "DNS"
    WEB = "web", "Web"


class ServerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"
