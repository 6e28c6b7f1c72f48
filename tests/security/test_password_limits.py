"""Passwords are capped (1,024 characters by default) with a sentence wherever one is typed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

LIMIT = 1024
MESSAGE = "Passwords are at most 1024 characters long."


def _long(length: int) -> str:
    return ("Hearth-pass-" * 200)[:length]


def test_login_refuses_a_password_above_the_cap_with_a_sentence(alice_account):
    client = Client()
    response = client.post(
        reverse("accounts:login"),
        {"username": alice_account.owner.email, "password": _long(LIMIT + 1)},
    )
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_at_the_cap_is_checked_like_any_password(alice_account):
    response = Client().post(
        reverse("accounts:login"),
        {"username": alice_account.owner.email, "password": _long(LIMIT)},
    )
    assert response.status_code == 200
    assert MESSAGE not in response.content.decode()
    assert "Your email and password didn't match." in response.content.decode()


@pytest.mark.parametrize(
    ("length", "accepted"), [(LIMIT - 1, True), (LIMIT, True), (LIMIT + 1, False)]
)
def test_a_new_password_is_capped_at_the_limit(alice_client, alice_account, length, accepted):
    new = _long(length)
    response = alice_client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    alice_account.owner.refresh_from_db()
    assert alice_account.owner.check_password(new) is accepted
    if not accepted:
        assert response.status_code == 200
        assert MESSAGE in response.content.decode()


def test_an_admin_cannot_give_a_customer_an_overlong_password(admin_client, plan):
    response = admin_client.post(
        reverse("accounts:customer_create"),
        {
            "name": "Acme",
            "email": "owner@acme.test",
            "prefix": "acme",
            "plan": plan.pk,
            "password": _long(LIMIT + 1),
        },
    )
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()


def test_sudo_confirmation_refuses_an_overlong_password(alice_account):
    client = Client()
    client.force_login(alice_account.owner)
    response = client.post(reverse("security:sudo"), {"password": _long(LIMIT + 1)})
    assert MESSAGE in response.content.decode()
