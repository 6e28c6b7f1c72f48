from django.db import models


class RuleKind(models.TextChoices):
    CPU = "cpu", "CPU usage"
    MEMORY = "memory", "Memory usage"
    DISK = "disk", "Disk usage (any filesystem)"
    SILENT = "silent", "Agent silent"


class Resolution(models.TextChoices):
    RAW = "raw", "Raw samples"
    MINUTE = "minute", "Per minute"
    HOUR = "hour", "Per hour"


class Range(models.TextChoices):
    HOUR = "1h", "1 hour"
    DAY = "24h", "24 hours"
    WEEK = "7d", "7 days"
    MONTH = "30d", "30 days"


RANGE_SECONDS = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}


class CloseReason(models.TextChoices):
    CLEARED = "cleared", "Resolved"
    SERVER_RETIRED = "server_retired", "Server retired"
