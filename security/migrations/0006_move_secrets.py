"""Move what a database dump would have given away into the new tables.

- Sessions: django_session rows (keyed by the cookie) go to security_session keyed by the
  cookie's SHA-256; people stay logged in.
- Authenticator secrets: django-otp's otp_totp_totpdevice rows (hex key in clear) become
  security.TOTPDevice rows with the key encrypted by FIELD_ENCRYPTION_KEY; the clear rows
  are deleted.
"""

from binascii import unhexlify

from django.db import migrations

from panel import field_crypto

OLD_TOTP_COLUMNS = (
    "user_id, name, confirmed, key, step, t0, digits, tolerance, drift, last_t, "
    "throttling_failure_timestamp, throttling_failure_count, created_at, last_used_at"
)


def _tables(schema_editor) -> set[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def move_sessions(apps, schema_editor):
    if "django_session" not in _tables(schema_editor):
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO security_session (session_key, session_data, expire_date) "
            "SELECT encode(sha256(convert_to(session_key, 'UTF8')), 'hex'), session_data, "
            "expire_date FROM django_session ON CONFLICT DO NOTHING"
        )
        cursor.execute("DELETE FROM django_session")


def encrypt_totp_devices(apps, schema_editor):
    if "otp_totp_totpdevice" not in _tables(schema_editor):
        return
    device_model = apps.get_model("security", "TOTPDevice")
    names = [name.strip() for name in OLD_TOTP_COLUMNS.split(",")]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT {OLD_TOTP_COLUMNS} FROM otp_totp_totpdevice")  # noqa: S608
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for row in rows:
            secret = unhexlify(row.pop("key").encode())
            created_at = row.pop("created_at")
            device = device_model.objects.create(
                key_encrypted=field_crypto.encrypt_bytes(secret), **row
            )
            device_model.objects.filter(pk=device.pk).update(created_at=created_at)
        cursor.execute("DELETE FROM otp_totp_totpdevice")


class Migration(migrations.Migration):
    dependencies = [("security", "0005_encrypted_totp_session_table")]

    operations = [
        migrations.RunPython(move_sessions, migrations.RunPython.noop),
        migrations.RunPython(encrypt_totp_devices, migrations.RunPython.noop),
    ]
