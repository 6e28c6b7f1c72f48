"""The vocabulary of API token scopes: a level (read or write) per resource kind."""

from django.db import models


class ScopeKind(models.TextChoices):
    DATABASES = "databases", "Databases"
    DNS = "dns", "DNS"
    MAIL = "mail", "Mail"
    ACCOUNT = "account", "Account"
    ADMIN = "admin", "Administration"


class Level(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


TOKEN_PREFIX = "hth"  # noqa: S105 (a public marker for secret scanners, not a secret)
