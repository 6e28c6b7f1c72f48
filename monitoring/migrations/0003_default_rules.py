"""The default alert rules (editable by administrators)."""

from django.db import migrations

DEFAULTS = [
    ("cpu", "CPU above 90 % for 5 minutes", 90.0, 300),
    ("memory", "Memory above 90 % for 5 minutes", 90.0, 300),
    ("disk", "A disk above 90 % full", 90.0, 0),
    ("silent", "Agent silent for 3 report intervals", 3.0, 0),
]


def seed(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    for kind, name, threshold, duration in DEFAULTS:
        AlertRule.objects.get_or_create(
            kind=kind,
            defaults={"name": name, "threshold": threshold, "duration_seconds": duration},
        )


def unseed(apps, schema_editor):
    apps.get_model("monitoring", "AlertRule").objects.filter(
        kind__in=[d[0] for d in DEFAULTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_sample_table")]

    operations = [migrations.RunPython(seed, unseed)]
