"""Issue 10 item 15: unverified customers get a banner with a resend button instead of any
form that would create a resource, on every such page and API action; nothing is created."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts import services as accounts
from provisioning.databases import services as databases
from provisioning.databases.models import Database, DatabaseRole
from provisioning.dns.models import Zone
from provisioning.exceptions import NotVerified
from provisioning.servers.models import Server
from tests.api.conftest import make_token, token_client
from tests.conftest import PASSWORD
from tests.security.urlconf import walk

# URL names of views that make something new on the customer's behalf.
CREATING = re.compile(r"_(create|add|new|import)$")
# Admin-only pages whose names match (administrators need no verified email).
ADMIN_ONLY_PATHS = ("admin/", "api/")
ADMIN_ONLY_NAMES = {"monitoring:enrol"}


def creating_urls(pk: int) -> list[str]:
    urls = []
    for name, path, converters, _ in walk():
        if not CREATING.search(name) or name in ADMIN_ONLY_NAMES:
            continue
        if any(part in path for part in ADMIN_ONLY_PATHS):
            continue
        urls.append(reverse(name, kwargs={key: pk for key in converters}))
    return urls


@pytest.fixture
def dora(plan):
    account, _ = accounts.create_customer(
        name="Dora Deli",
        email="dora@example.test",
        prefix="dora",
        plan=plan,
        password=PASSWORD,
        actor=None,
    )
    return account


@pytest.fixture
def dora_db(dora):
    server = Server.objects.create(name="db1", address="127.0.0.1", roles=["database"])
    return Database.objects.create(
        account=dora, server=server, name="dora_shop", owner_role="dora_shop"
    )


def _counts():
    return (Database.objects.count(), DatabaseRole.objects.count(), Zone.objects.count())


def test_the_walk_finds_the_known_creating_pages(dora_db):
    urls = creating_urls(dora_db.pk)
    for name in ("database_create", "role_create", "zone_create", "record_add", "zone_import"):
        assert any(name.split("_")[0] in url for url in urls), (name, urls)
    assert len(urls) >= 5


def test_every_creating_page_shows_the_banner_instead_of_the_form(dora, dora_db):
    client = Client()
    client.force_login(dora.owner)
    before = _counts()
    resend = reverse("security:resend_verification")
    for url in creating_urls(dora_db.pk):
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"name": "dora_new", "text": "x"})
            if method == "get" and response.status_code == 405:
                continue  # a POST-only action (adding a record from the zone page)
            page = response.content.decode()
            assert response.status_code == 403, (method, url, response.status_code)
            assert "Confirm your email address first" in page, url
            assert f'action="{resend}"' in page, url
            # No field of the creating form: only the resend button's form is on the page.
            assert 'name="name"' not in page, url
        htmx = client.post(url, {"name": "dora_new"}, HTTP_HX_REQUEST="true")
        assert htmx.status_code == 403 and "<html" not in htmx.content.decode()
        assert f'action="{resend}"' in htmx.content.decode()
    assert _counts() == before


def test_verified_customers_get_the_form(alice_client):
    for name in ("provisioning:database_create", "dns:zone_create"):
        page = alice_client.get(reverse(name)).content.decode()
        assert 'name="name"' in page and "Confirm your email address first" not in page


def test_the_services_refuse_unverified_customers_too(dora, dora_db):
    with pytest.raises(NotVerified, match="Confirm your email"):
        databases.create_database(dora, "dora_two", actor=dora.owner)
    assert Database.objects.count() == 1


def test_api_actions_that_create_are_refused_with_a_problem(dora, dora_db):
    api = token_client(make_token(dora.owner))
    before = _counts()
    for url, body in (
        ("/api/v1/databases/", {"name": "api"}),
        (f"/api/v1/databases/{dora_db.pk}/roles/", {"name": "ro", "privilege": "readonly"}),
    ):
        response = api.post(url, body, content_type="application/json")
        assert response.status_code == 403, (url, response.content)
        problem = response.json()
        assert response["Content-Type"].startswith("application/problem+json")
        assert problem["code"] == "email_not_verified" and "Confirm your email" in problem["detail"]
    assert _counts() == before
