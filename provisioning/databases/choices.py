from django.db import models


class Privilege(models.TextChoices):
    ALL = "all", "All privileges"
    READONLY = "readonly", "Read-only"
