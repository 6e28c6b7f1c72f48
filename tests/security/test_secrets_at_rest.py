"""Issue 10 item 9: a copy of the panel database gives away no second factor and no session."""

from __future__ import annotations

import importlib
from base64 import b32encode
from binascii import hexlify
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from psycopg import sql

from security.models import TOTPDevice
from tests.security.conftest import code_for, password_login

MOVE = importlib.import_module("security.migrations.0006_move_secrets")
DASHBOARD = reverse("accounts:dashboard")


def database_dump() -> str:
    """Every row of every table of the panel's schema as text, as a pg_dump would hold it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT schemaname, tablename FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
            "AND has_table_privilege(format('%I.%I', schemaname, tablename), 'SELECT')"
        )
        tables = cursor.fetchall()
        assert len(tables) > 20
        chunks = []
        for schema, table in tables:
            query = sql.SQL("SELECT coalesce(string_agg(t::text, chr(10)), '') FROM {} t")
            cursor.execute(query.format(sql.Identifier(schema, table)))
            chunks.append(cursor.fetchone()[0])
    return "\n".join(chunks)


def _secret_forms(secret: bytes) -> list[str]:
    return [
        hexlify(secret).decode(),
        b32encode(secret).decode().rstrip("="),
    ]


def test_a_database_dump_holds_no_authenticator_secret(alice_client):
    alice_client.get(reverse("security:two_factor_setup"))
    device = TOTPDevice.objects.get(user__email="alice@example.test")
    dump = database_dump()
    for form in _secret_forms(device.bin_key):
        assert form not in dump and form.lower() not in dump
    # ...and the encrypted secret still works as a second factor.
    assert device.verify_token(code_for(device))


def test_a_database_dump_holds_no_usable_session(alice_account):
    client = Client()
    assert password_login(client, alice_account.owner.email).status_code == 302
    cookie = client.cookies["sessionid"].value
    assert client.get(DASHBOARD).status_code == 200
    dump = database_dump()
    assert cookie not in dump
    # What the dump does hold (the stored key) does not open the session.
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_key FROM security_session")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored
    for key in stored:
        thief = Client()
        thief.cookies["sessionid"] = key
        response = thief.get(DASHBOARD)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_logout_and_revocation_remove_the_stored_session(alice_account):
    client = Client()
    password_login(client, alice_account.owner.email)
    client.post(reverse("accounts:logout"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM security_session")
        assert cursor.fetchone()[0] == 0


def test_key_rotation_keeps_devices_working(alice_account, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old
    device = TOTPDevice.objects.create(user=alice_account.owner, name="phone", confirmed=True)
    secret = device.bin_key
    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"
    assert TOTPDevice.objects.get(pk=device.pk).bin_key == secret
    call_command("rotate_field_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEY = new
    rotated = TOTPDevice.objects.get(pk=device.pk)
    assert rotated.bin_key == secret
    assert rotated.verify_token(code_for(rotated))
    settings.FIELD_ENCRYPTION_KEY = old
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY changed"):
        _ = TOTPDevice.objects.get(pk=device.pk).bin_key


def _editor():
    return SimpleNamespace(connection=connection)


def test_the_migration_encrypts_existing_devices_and_deletes_the_clear_rows(alice_account):
    secret = bytes(range(20))
    with connection.cursor() as cursor:
        # The table django-otp's TOTP plugin kept (a temporary one: the runtime role has no DDL).
        cursor.execute(
            "CREATE TEMP TABLE otp_totp_totpdevice (id serial, user_id bigint, name text, "
            "confirmed bool, key text, step int, t0 bigint, digits int, tolerance int, "
            "drift int, last_t bigint, throttling_failure_timestamp timestamptz, "
            "throttling_failure_count int, created_at timestamptz, last_used_at timestamptz)"
        )
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice VALUES (DEFAULT, %s, 'Authenticator app', true, "
            "%s, 30, 0, 6, 1, 0, -1, NULL, 0, '2026-01-02T03:04:05Z', NULL)",
            [alice_account.owner.pk, hexlify(secret).decode()],
        )
    MOVE.encrypt_totp_devices(apps, _editor())
    device = TOTPDevice.objects.get(user=alice_account.owner)
    assert device.confirmed and device.bin_key == secret
    assert device.created_at.year == 2026 and device.created_at.month == 1
    assert hexlify(secret).decode() not in device.key_encrypted
    assert device.verify_token(code_for(device))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM otp_totp_totpdevice")
        assert cursor.fetchone()[0] == 0


def test_the_migration_keeps_people_logged_in_without_keeping_their_cookie(alice_account):
    client = Client()
    client.force_login(alice_account.owner)
    cookie = client.cookies["sessionid"].value
    with connection.cursor() as cursor:
        # A session as Django's own table held it: keyed by the cookie.
        cursor.execute(
            "INSERT INTO django_session SELECT %s, session_data, expire_date FROM security_session",
            [cookie],
        )
        cursor.execute("DELETE FROM security_session")
    MOVE.move_sessions(apps, _editor())
    browser = Client()
    browser.cookies["sessionid"] = cookie
    assert browser.get(DASHBOARD).status_code == 200
    assert SESSION_KEY in browser.session
    assert cookie not in database_dump()
