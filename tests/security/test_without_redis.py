"""Redis stopped: login and the other counted pages answer 503 with Retry-After, no traceback.

The counters fail closed (see security/throttle.py): a brute-force limit that cannot be
checked is not skipped. A Redis server of the test's own is stopped and started again.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from panel.stack import free_port
from panel.stack.redis import start_redis
from tests.conftest import PASSWORD


@pytest.fixture
def own_redis(tmp_path, settings):
    server = start_redis(tmp_path / "redis", free_port())
    settings.SECURITY_REDIS_URL = server.url()
    yield server
    server.stop()


def _login(email: str, password: str = PASSWORD):
    return Client().post(reverse("accounts:login"), {"username": email, "password": password})


def _assert_unavailable(response):
    body = response.content.decode()
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "temporarily unavailable" in body and "Traceback" not in body


def test_login_is_refused_cleanly_while_redis_is_down_and_works_again_after(
    own_redis, alice_account
):
    assert _login(alice_account.owner.email).status_code == 302
    own_redis.stop()
    _assert_unavailable(_login(alice_account.owner.email))
    _assert_unavailable(_login(alice_account.owner.email, "a wrong password"))
    _assert_unavailable(
        Client().post(reverse("security:password_reset"), {"email": alice_account.owner.email})
    )
    own_redis.start()
    assert _login(alice_account.owner.email).status_code == 302


def test_an_api_client_gets_a_problem_document_while_redis_is_down(own_redis, alice_account):
    own_redis.stop()
    response = Client().post(
        reverse("accounts:login"),
        {"username": alice_account.owner.email, "password": PASSWORD},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["code"] == "throttle_unavailable"
