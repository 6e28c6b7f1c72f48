from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    CUSTOMER = "customer", "Customer"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
