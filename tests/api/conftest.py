"""API fixtures: tokens for the personas and clients that send them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from api import services
from api.models import ApiToken


class FakeRequest:
    """What audit.record reads from a request, for tokens made directly in tests."""

    META = {"REMOTE_ADDR": "127.0.0.1"}

    def __init__(self, user):
        self.user = user


def make_token(user, scopes=None, **options) -> str:
    _, raw = services.create_token(
        user,
        name=options.pop("name", "test"),
        scopes=scopes or {"databases": "write", "account": "write", "mail": "write"},
        request=FakeRequest(user),
        **options,
    )
    return raw


def token_client(raw: str, address: str = "127.0.0.1") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR=address)


def expire(raw: str) -> None:
    pk = services.parse(raw)[0]
    ApiToken.objects.filter(pk=pk).update(expires_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def alice_token(alice_account):
    return make_token(alice_account.owner)


@pytest.fixture
def alice_api(alice_token):
    return token_client(alice_token)


@pytest.fixture
def bob_api(bob_account):
    return token_client(make_token(bob_account.owner))


@pytest.fixture
def admin_api(admin_user):
    return token_client(
        make_token(
            admin_user,
            {
                "admin": "write",
                "databases": "write",
                "dns": "write",
                "account": "write",
                "mail": "write",
            },
        )
    )


# The real target PostgreSQL server and job helpers of the provisioning tests; the stack's
# real PowerDNS, registered as the DNS server, and fresh zone names; the stack's mail host
# (Postfix + Dovecot + rspamd), registered as the mail server.
from tests.dns.conftest import dns_server, pdns_address, zone_name  # noqa: E402, F401
from tests.mailstack import hosted_zone, mail_backend, mail_server  # noqa: E402, F401
from tests.provisioning.conftest import db_server, target_pg  # noqa: E402, F401


def create_database(client, name="shop", **headers):
    return client.post(
        "/api/v1/databases/", {"name": name}, content_type="application/json", **headers
    )
