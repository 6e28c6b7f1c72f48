"""Tokens: made in the UI only (session + sudo), shown once, peppered hash, every check."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.choices import Role
from api import services
from api.exceptions import TokenRefused
from api.models import ApiToken
from security.models import AuditEvent
from tests.api.conftest import expire, make_token, token_client
from tests.conftest import PASSWORD

FORM = {"name": "billing", "days": "30", "scope_databases": "write", "scope_account": "read"}


def test_creating_a_token_asks_for_the_password_first(alice_account):
    client = Client()
    client.force_login(alice_account.owner)
    response = client.post(reverse("api_tokens"), FORM)
    assert response.status_code == 302
    assert reverse("security:sudo") in response["Location"]
    assert not ApiToken.objects.exists()


def test_the_token_is_shown_once_and_only_its_hash_is_kept(alice_client, alice_account):
    response = alice_client.post(reverse("api_tokens"), FORM)
    assert response.status_code == 200
    raw = response.context["created"]
    assert raw.startswith("hth_")
    token = ApiToken.objects.get()
    assert raw == f"hth_{token.pk}_{raw.split('_', 2)[2]}"
    secret = raw.split("_", 2)[2]
    assert secret not in token.secret_hash
    assert token.secret_hash == services.hash_secret(secret)
    assert token.scopes == {"databases": "write", "account": "read"}
    event = AuditEvent.objects.get(action="api.credential_created")
    assert event.actor == alice_account.owner and event.details["credential"] == token.pk
    page = alice_client.get(reverse("api_tokens"))
    assert raw not in page.content.decode()
    assert "billing" in page.content.decode()


def test_a_customer_cannot_grant_the_admin_scope(alice_client, alice_account):
    alice_client.post(reverse("api_tokens"), FORM | {"scope_admin": "write"})
    assert "admin" not in ApiToken.objects.get().scopes  # the form has no admin field for them
    with pytest.raises(TokenRefused, match="administrators"):
        make_token(alice_account.owner, {"admin": "read"})


def test_bad_networks_are_refused_with_a_message(alice_client):
    response = alice_client.post(reverse("api_tokens"), FORM | {"cidrs": "10.0.0.0/33"})
    assert response.status_code == 400
    assert "CIDR" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_authenticates_and_notes_its_use(alice_account, alice_token):
    response = token_client(alice_token, "192.0.2.7").get("/api/v1/account/")
    assert response.status_code == 200
    assert response.json()["prefix"] == "alice"
    token = ApiToken.objects.get()
    assert token.last_used_ip == "192.0.2.7" and token.last_used_at is not None


def test_revoked_expired_and_foreign_network_tokens_are_refused(alice_account, alice_client):
    revoked = make_token(alice_account.owner)
    alice_client.post(reverse("api_token_revoke", args=[services.parse(revoked)[0]]))
    assert AuditEvent.objects.filter(action="api.credential_revoked").count() == 1
    expired = make_token(alice_account.owner)
    expire(expired)
    fenced = make_token(alice_account.owner, cidrs=["10.1.0.0/16"])
    cases = [
        (token_client(revoked), "token_revoked"),
        (token_client(expired), "token_expired"),
        (token_client(fenced, "192.0.2.1"), "token_source"),
        (token_client("hth_1_guess"), "token_invalid"),
        (token_client(revoked[:-2] + "xx"), "token_invalid"),
    ]
    for client, code in cases:
        response = client.get("/api/v1/account/")
        assert response.status_code == 401, code
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == code
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert token_client(fenced, "10.1.2.3").get("/api/v1/account/").status_code == 200


def test_a_token_without_the_scope_gets_403(alice_account):
    client = token_client(make_token(alice_account.owner, {"databases": "read"}))
    response = client.get("/api/v1/account/")
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"
    assert client.get("/api/v1/databases/").status_code == 200
    write = client.post("/api/v1/databases/", {"name": "x"}, content_type="application/json")
    assert write.status_code == 403 and write.json()["code"] == "scope_missing"


def test_a_demoted_admins_token_loses_admin_rights_at_once(admin_user):
    client = token_client(make_token(admin_user, {"admin": "read", "databases": "read"}))
    assert client.get("/api/v1/jobs/").status_code == 200
    assert client.get("/api/v1/admin/accounts/").status_code == 200
    admin_user.role = Role.CUSTOMER
    admin_user.save(update_fields=["role"])
    response = client.get("/api/v1/admin/accounts/")
    assert response.status_code == 403
    assert response.json()["code"] == "admin_required"


def test_tokens_cannot_be_created_through_the_api(alice_api, alice_account):
    response = alice_api.post("/api/v1/tokens/", {"name": "x"}, content_type="application/json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert ApiToken.objects.count() == 1


def test_a_token_is_listed_and_revoked_through_the_api(alice_api, alice_account):
    other = make_token(alice_account.owner, name="ci")
    listed = alice_api.get("/api/v1/tokens/").json()["results"]
    assert {t["name"] for t in listed} == {"test", "ci"}
    assert all("secret" not in str(t) for t in listed)
    pk = services.parse(other)[0]
    assert alice_api.delete(f"/api/v1/tokens/{pk}/").status_code == 204
    assert token_client(other).get("/api/v1/account/").status_code == 401


def test_a_browser_session_works_and_needs_csrf(alice_account):
    client = Client(enforce_csrf_checks=True)
    assert client.login(email=alice_account.owner.email, password=PASSWORD)
    assert client.get("/api/v1/account/").status_code == 200
    response = client.post("/api/v1/databases/", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_sessions_are_listed_and_revoked_through_the_api(alice_account, alice_api):
    client = Client()
    assert client.login(email=alice_account.owner.email, password=PASSWORD)
    assert client.get("/api/v1/account/").status_code == 200
    [session] = alice_api.get("/api/v1/sessions/").json()["results"]
    assert alice_api.delete(f"/api/v1/sessions/{session['id']}/").status_code == 204
    assert client.get("/api/v1/account/").status_code in (401, 403)
    assert alice_api.get("/api/v1/sessions/").json()["results"] == []
    assert AuditEvent.objects.filter(action="auth.session_revoked").exists()
