"""Tracked sessions keep the SHA-256 of the session key instead of the key."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("security", "0003_devices_tokens_sessions")]

    operations = [
        migrations.RenameField("usersession", "session_key", "session_key_hash"),
        migrations.AlterField(
            "usersession",
            "session_key_hash",
            models.CharField(max_length=64, unique=True),
        ),
        migrations.RunSQL(
            "UPDATE security_usersession "
            "SET session_key_hash = encode(sha256(convert_to(session_key_hash, 'UTF8')), 'hex')",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
