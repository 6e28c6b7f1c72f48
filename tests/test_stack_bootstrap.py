"""`make run` prepares everything in one process (issue 15.6): `manage.py bootstrap`
migrates as the owner, creates the first admin, the demo data and the default database
server, says when the database is migrated (the services start then), and a second run
changes nothing."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from accounts.models import HostingAccount, User
from panel.stack.run import MIGRATED, bootstrap_command, run_bootstrap
from provisioning.models import Server


def _url(db: dict) -> str:
    name = settings.DATABASES["default"]["NAME"]  # the test database
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{name}"


def _run(capsys) -> tuple[int, int, str]:
    env = {
        **os.environ,
        "DATABASE_URL": _url(settings.DATABASES["default"]),
        "DATABASE_OWNER_URL": _url(settings.DATABASE_OWNER),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    calls = []
    code = run_bootstrap(bootstrap_command(True), env, lambda: calls.append(MIGRATED))
    return code, len(calls), capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_one_process_prepares_everything_and_is_idempotent(capsys):
    assert bootstrap_command(True)[2:] == ["bootstrap"]  # python manage.py bootstrap
    code, migrated, out = _run(capsys)
    assert (code, migrated) == (0, 1)
    assert out.index(MIGRATED) < out.index("Created administrator")
    admin = User.objects.get(role="admin")
    demo = HostingAccount.objects.get()
    server = Server.objects.get(name="local")
    assert server.settings_for("database")["port"] == urlsplit(settings.PROVISIONING_PG_URL).port
    dns = Server.objects.get(name="local-dns")  # the stack's PowerDNS
    assert dns.settings_for("dns")["api_url"] == settings.PDNS_API_URL
    mail = Server.objects.get(name="local-mail")  # the stack's Postfix + Dovecot + rspamd
    assert (
        mail.roles == ["mail"] and mail.settings_for("mail")["smtp_port"] == settings.MAIL_SMTP_PORT
    )

    code, migrated, out = _run(capsys)
    assert (code, migrated) == (0, 1)
    assert "An administrator already exists" in out and "Demo data already present" in out
    assert list(User.objects.filter(role="admin")) == [admin]
    assert list(HostingAccount.objects.all()) == [demo]
    assert list(Server.objects.all()) == [server, dns, mail]
