"""The backend's answer when a part of the mail host is unreachable: a temporary error (the
engine retries, then compensates), never a half-made change."""

from __future__ import annotations

import pytest

from panel.stack.common import free_port
from provisioning.engine.backends import BackendError
from provisioning.mail.backend import MailBackend
from provisioning.mail.passwords import hash_password


def _backend_with(mail_server, **changes) -> MailBackend:
    config = mail_server.settings_for("mail")
    secrets = mail_server.credentials_for("mail")
    for key, value in changes.items():
        (secrets if key in secrets else config)[key] = value
    mail_server.set_role_connection("mail", config, secrets)
    return MailBackend(mail_server)


def test_mail_database_unreachable_is_a_temporary_error(mail_server, mail_backend):
    url = mail_server.credentials_for("mail")["database_url"]
    host_port = url.rsplit("@", 1)[1].split("/", 1)[0]
    broken = _backend_with(
        mail_server, database_url=url.replace(host_port, f"127.0.0.1:{free_port()}")
    )
    with pytest.raises(BackendError) as error:
        broken.ensure_domain("unreachable.hearth-mail.test")
    assert error.value.permanent is False
    assert "cannot be reached" in error.value.message
    assert mail_backend.inspect_domain("unreachable.hearth-mail.test") is None


def test_dovecot_unreachable_is_a_temporary_error(mail_server, mail_backend, mail_domain):
    address = f"alice@{mail_domain}"
    mail_backend.ensure_mailbox(address, hash_password("pw-long-enough"), 10)
    broken = _backend_with(mail_server, doveadm_url=f"http://127.0.0.1:{free_port()}/doveadm/v1")
    with pytest.raises(BackendError) as error:
        broken.usage(address)
    assert error.value.permanent is False


def test_key_store_unreachable_is_a_temporary_error(mail_server, mail_domain):
    broken = _backend_with(mail_server, dkim_redis_url=f"redis://127.0.0.1:{free_port()}/5")
    from provisioning.mail.dkim import generate_key

    with pytest.raises(BackendError) as error:
        broken.ensure_dkim_key(mail_domain, "s1", generate_key(1024)[0])
    assert error.value.permanent is False
