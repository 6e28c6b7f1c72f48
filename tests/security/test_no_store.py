"""Pages for a signed-in user, and above all those that show a secret once, are never cached."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from panel.cache_headers import PrivateNoStoreMiddleware
from tests.security.urlconf import urls


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_the_page_with_a_new_customers_password_is_not_stored(admin_client, plan):
    response = admin_client.post(
        reverse("accounts:customer_create"),
        {"name": "Acme", "email": "owner@acme.test", "prefix": "acme", "plan": plan.pk},
    )
    assert response.status_code == 201
    assert response.context["password"] in response.content.decode()
    assert _no_store(response)


@pytest.mark.parametrize("persona", ["admin_client", "alice_client"])
def test_every_page_a_signed_in_user_opens_is_not_stored(request, persona, alice_account):
    client = request.getfixturevalue(persona)
    opened = 0
    for url in urls(alice_account.pk):
        response = client.get(url)
        if response.status_code == 200:
            opened += 1
            assert _no_store(response), url
    assert opened > 5


def test_a_view_asking_for_public_caching_is_overridden_only_for_signed_in_users(
    alice_account,
):
    def cacheable(request):
        response = HttpResponse("secret")
        response["Cache-Control"] = "public, max-age=600"
        return response

    middleware = PrivateNoStoreMiddleware(cacheable)
    signed_in = RequestFactory().get("/")
    signed_in.user = alice_account.owner
    response = middleware(signed_in)
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]

    from django.contrib.auth.models import AnonymousUser

    anonymous = RequestFactory().get("/")
    anonymous.user = AnonymousUser()
    assert middleware(anonymous)["Cache-Control"] == "public, max-age=600"
