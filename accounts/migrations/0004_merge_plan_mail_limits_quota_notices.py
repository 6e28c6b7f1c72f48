from django.db import migrations


class Migration(migrations.Migration):
    """Plan mail limits (mail hosting) and quota notices (hardening) were added side by side."""

    dependencies = [
        ("accounts", "0003_plan_mail_limits"),
        ("accounts", "0003_quota_notices"),
    ]

    operations = []
