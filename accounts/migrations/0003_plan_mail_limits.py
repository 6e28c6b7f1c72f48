from django.db import migrations, models


class Migration(migrations.Migration):
    """Mail hosting limits on plans (additive; existing plans get the defaults)."""

    dependencies = [
        ("accounts", "0002_user_email_verified_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="max_mail_domains",
            field=models.PositiveIntegerField(default=3),
        ),
        migrations.AddField(
            model_name="plan",
            name="mail_quota_mb",
            field=models.PositiveIntegerField(default=2048),
        ),
        migrations.AddField(
            model_name="plan",
            name="mail_send_limit_per_hour",
            field=models.PositiveIntegerField(default=200),
        ),
    ]
