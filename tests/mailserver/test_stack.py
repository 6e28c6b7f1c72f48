"""The stack's mail host: registration, the two database roles, the backend's own checks."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command

from panel.stack.maildb import DB_NAME, READER
from panel.stack.services import load_state
from provisioning.engine.backends import BackendError, get_backend
from provisioning.mail.passwords import hash_password, verify_password
from provisioning.servers.models import Server


def test_registered_once_with_secrets_encrypted(mail_server):
    call_command("ensure_default_mail_server", verbosity=0)

    (server,) = Server.objects.with_role("mail")
    assert server.name == "local-mail"
    assert settings.MAIL_DATABASE_URL not in str(server.connection)
    assert server.credentials_for("mail")["database_url"] == settings.MAIL_DATABASE_URL
    backend = get_backend(server, "mail")
    assert backend.check().startswith("mail database:")


def reader_connection():
    entry = load_state()["mail"]
    return psycopg.connect(
        host=settings.MAIL_HOST,
        port=entry["pg_port"],
        dbname=DB_NAME,
        user=READER,
        password=entry["passwords"]["reader"],
        autocommit=True,
    )


def test_the_servers_role_reads_maps_only(mail_backend, mail_domain):
    with reader_connection() as conn:
        assert conn.execute("SELECT name FROM domains WHERE name = %s", (mail_domain,)).fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO domains (name) VALUES ('evil.test')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT private_key FROM dkim_keys")


@pytest.mark.parametrize(
    "address",
    [
        "a\r\nb@x.test",
        "a b@x.test",
        ".a@x.test",
        "a..b@x.test",
        "a@x",
        "../x@x.test",
        "x" * 65 + "@x.test",
    ],
)
def test_bad_addresses_are_refused_before_anything_is_written(mail_backend, mail_domain, address):
    address = address.replace("x.test", mail_domain)
    with pytest.raises(BackendError):
        mail_backend.ensure_mailbox(address, hash_password("pw-long-enough"), 10)
    assert [m for m in mail_backend.inventory()["mailboxes"] if mail_domain in m["address"]] == []


def test_mailbox_on_an_unknown_domain_and_a_plain_password_are_refused(mail_backend, mail_domain):
    with pytest.raises(BackendError, match="no domain"):
        mail_backend.ensure_mailbox("a@nowhere.test", hash_password("pw-long-enough"), 10)
    with pytest.raises(BackendError, match="scheme"):
        mail_backend.ensure_mailbox(f"a@{mail_domain}", "plain-text-password", 10)


def test_alias_to_itself_is_refused(mail_backend, mail_domain):
    with pytest.raises(BackendError, match="itself"):
        mail_backend.ensure_alias(f"a@{mail_domain}", [f"a@{mail_domain}"])
    assert mail_backend.inspect_alias(f"a@{mail_domain}") is None


def test_password_hash_is_argon2id_and_verifies():
    stored = hash_password("s3cret-phrase")
    assert stored.startswith("{ARGON2ID}$argon2id$")
    assert verify_password(stored, "s3cret-phrase")
    assert not verify_password(stored, "wrong")
    with pytest.raises(ValueError):
        hash_password("line\nbreak")
