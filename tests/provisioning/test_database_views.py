"""Customer database pages: create, validate, quota, ownership, live state."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from provisioning.databases import services
from provisioning.engine.choices import ResourceState
from provisioning.models import Database, ProvisioningJob
from tests.provisioning.conftest import bulk_databases, run_jobs_inline

CREATE = reverse("provisioning:database_create")


def _create(client, name="shop", **extra):
    return client.post(CREATE, {"name": name, **extra})


def _created_database(account) -> Database:
    db, _ = services.create_database(account, "shop", actor=None)
    run_jobs_inline()
    db.refresh_from_db()
    return db


def _shown_password(response) -> str:
    return re.search(r'id="role-password">([^<]+)<', response.content.decode()).group(1)


def test_creating_shows_the_password_once_with_a_connection_string(
    alice_client, db_server, target_pg
):
    response = _create(alice_client)
    assert response.status_code == 201
    password = _shown_password(response)
    assert len(password) >= 20
    port = target_pg.port
    assert (
        f"postgresql://alice_shop:{password}@127.0.0.1:{port}/alice_shop"
        in response.content.decode()
    )
    db = Database.objects.get(name="alice_shop")
    assert password not in db.roles.get().password_verifier
    run_jobs_inline()
    detail = alice_client.get(reverse("provisioning:database_detail", args=[db.pk]))
    assert password not in detail.content.decode()
    assert (
        f"postgresql://alice_shop:PASSWORD@127.0.0.1:{port}/alice_shop" in detail.content.decode()
    )


def test_a_chosen_password_must_be_strong(alice_client, db_server):
    response = _create(alice_client, password="password1")
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    response = _create(alice_client, password="Lång-lösenord-123")
    assert "printable ASCII" in response.content.decode()
    assert not Database.objects.exists()


def test_a_chosen_password_works(alice_client, db_server, target_pg):
    response = _create(alice_client, password="Tr0ub4dor&3-horse!")
    assert _shown_password(response) == "Tr0ub4dor&amp;3-horse!"
    run_jobs_inline()
    target_pg.connect("alice_shop", user="alice_shop", password="Tr0ub4dor&3-horse!").close()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("shop'; DROP DATABASE postgres; --", "Use only lowercase letters"),
        ("my shop", "Use only lowercase letters"),
        ('sh"op', "Use only lowercase letters"),
        ("shöp", "Use only lowercase letters"),
        ("Shop", "Use only lowercase letters"),
        ("1shop", "Use only lowercase letters"),
        ("s" * 58, "longer than 63 bytes"),
        ("", "This field is required."),
    ],
)
def test_bad_names_are_refused_with_a_clear_error(
    alice_client, db_server, target_pg, name, message
):
    before = target_pg.roles() | target_pg.databases()
    response = _create(alice_client, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Database.objects.exists() and not ProvisioningJob.objects.exists()
    assert target_pg.roles() | target_pg.databases() == before


def test_the_longest_name_that_fits_is_accepted(alice_client, db_server):
    assert _create(alice_client, name="s" * 57).status_code == 201  # alice_ + 57 = 63 bytes


@pytest.mark.parametrize("name", ["postgres", "template1", "pg_shop"])
def test_reserved_names_are_refused(db, name):
    from provisioning.databases import names

    with pytest.raises(names.InvalidName, match="reserved"):
        names.check_identifier(name)


def test_the_panels_own_database_name_is_reserved(db, settings):
    from provisioning.databases import names

    own = settings.DATABASES["default"]["NAME"]
    assert own in names.reserved_names()


def test_the_plan_database_count_is_enforced(alice_client, alice_account, db_server):
    for name in ("one", "two", "three"):
        assert _create(alice_client, name=name).status_code == 201
    response = _create(alice_client, name="four")
    assert "Your plan allows 3 databases and you have used them all." in response.content.decode()
    assert Database.objects.count() == 3


def test_the_service_enforces_the_quota_too(alice_account, db_server):
    from provisioning.exceptions import QuotaExceeded

    for name in ("one", "two", "three"):
        services.create_database(alice_account, name, actor=alice_account.owner)
    with pytest.raises(QuotaExceeded):
        services.create_database(alice_account, "four", actor=alice_account.owner)


def test_database_sizes_count_against_the_disk_quota(alice_client, alice_account, db_server):
    _create(alice_client, name="big")
    Database.objects.update(size_bytes=600 * 1024 * 1024, state=ResourceState.ACTIVE)
    response = _create(alice_client, name="more")
    assert "disk quota (500 MB) is used up" in response.content.decode()
    listing = alice_client.get(reverse("provisioning:database_list")).content.decode()
    assert "600 / 500" in listing


def test_unverified_customers_cannot_create_databases(alice_client, alice_account, db_server):
    alice_account.owner.email_verified_at = None
    alice_account.owner.save()
    response = _create(alice_client)
    # The page-level guard answers before the service's own check (issue 10 item 15).
    assert response.status_code == 403
    assert "Confirm your email address before creating resources." in response.content.decode()
    assert not Database.objects.exists()


def test_the_same_form_submitted_twice_makes_one_database(alice_client, db_server):
    assert _create(alice_client).status_code == 201
    second = _create(alice_client)
    assert second.status_code == 200
    assert "The name alice_shop is already in use." in second.content.decode()
    assert Database.objects.count() == 1 and ProvisioningJob.objects.count() == 1


def test_no_server_means_a_clear_error(alice_client, db):
    response = _create(alice_client)
    assert "No database server is available right now" in response.content.decode()


def test_the_detail_page_polls_while_a_job_runs(alice_client, db_server):
    _create(alice_client)
    db = Database.objects.get()
    url = reverse("provisioning:database_detail", args=[db.pk])
    partial = alice_client.get(url, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert 'hx-trigger="every 2s"' in body and "<html" not in body
    assert 'data-state="pending"' in body
    run_jobs_inline()
    # The job ended: the polling fragment asks for one full reload (the role form and the
    # actions need the final state), and the reloaded page polls no more.
    response = alice_client.get(url, headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true" and not response.content
    body = alice_client.get(url).content.decode()
    assert 'data-state="active"' in body and "hx-trigger" not in body
    assert reverse("provisioning:role_create", args=[db.pk]) in body


def test_polling_a_deleted_database_goes_back_to_the_list(alice_client, db_server):
    _create(alice_client)
    db = Database.objects.get()
    run_jobs_inline()
    services.delete_database(db, actor=None)
    run_jobs_inline()
    response = alice_client.get(
        reverse("provisioning:database_detail", args=[db.pk]), headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"] == reverse("provisioning:database_list")


def test_the_list_shows_own_databases_with_a_fixed_number_of_queries(
    alice_client, alice_account, bob_account, db_server, django_assert_num_queries
):
    for name in ("one", "two", "three"):
        services.create_database(alice_account, name, actor=None)
    services.create_database(bob_account, "secret", actor=None)
    url = reverse("provisioning:database_list")
    alice_client.get(url)
    with django_assert_num_queries(8):
        body = alice_client.get(url).content.decode()
    assert "alice_one" in body and "bob_secret" not in body


def test_the_list_has_an_empty_state(alice_client, db):
    body = alice_client.get(reverse("provisioning:database_list")).content.decode()
    assert "No databases yet." in body


def test_deleting_requires_typing_the_name(alice_client, alice_account, db_server):
    db, _ = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    url = reverse("provisioning:database_delete", args=[db.pk])
    response = alice_client.post(url, {"confirm": "shop"})
    assert "Type alice_shop exactly to confirm." in response.content.decode()
    db.refresh_from_db()
    assert db.state == ResourceState.ACTIVE
    response = alice_client.post(url, {"confirm": "alice_shop"})
    assert response.status_code == 302
    db.refresh_from_db()
    assert db.state == ResourceState.DELETING


def test_roles_can_be_added_reset_and_removed(alice_client, alice_account, db_server, target_pg):
    db, _ = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    response = alice_client.post(
        reverse("provisioning:role_create", args=[db.pk]),
        {"name": "reader", "privilege": "readonly"},
    )
    assert response.status_code == 201
    first = _shown_password(response)
    run_jobs_inline()
    role = db.roles.get(name="alice_reader")
    assert role.state == ResourceState.ACTIVE
    target_pg.connect("alice_shop", user="alice_reader", password=first).close()
    response = alice_client.post(reverse("provisioning:role_password", args=[db.pk, role.pk]), {})
    second = _shown_password(response)
    run_jobs_inline()
    target_pg.connect("alice_shop", user="alice_reader", password=second).close()
    with pytest.raises(Exception, match="password authentication failed"):
        target_pg.connect("alice_shop", user="alice_reader", password=first)
    alice_client.post(reverse("provisioning:role_remove", args=[db.pk, role.pk]))
    run_jobs_inline()
    assert not db.roles.filter(name="alice_reader").exists()
    assert "alice_reader" not in target_pg.roles()


def test_the_owner_role_cannot_be_removed_alone(alice_client, alice_account, db_server):
    db, _ = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    owner = db.roles.get()
    response = alice_client.post(
        reverse("provisioning:role_remove", args=[db.pk, owner.pk]), follow=True
    )
    assert "delete the database instead" in response.content.decode()


def test_another_customers_database_is_404_on_every_action(bob_client, alice_account, db_server):
    db, _ = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    role = db.roles.get()
    urls = [
        reverse("provisioning:database_detail", args=[db.pk]),
        reverse("provisioning:database_delete", args=[db.pk]),
        reverse("provisioning:role_create", args=[db.pk]),
        reverse("provisioning:role_password", args=[db.pk, role.pk]),
        reverse("provisioning:role_remove", args=[db.pk, role.pk]),
    ]
    for url in urls:
        assert bob_client.get(url).status_code in (404, 405), url
        assert bob_client.post(url, {"confirm": "alice_shop", "name": "x"}).status_code == 404
    db.refresh_from_db()
    assert db.state == ResourceState.ACTIVE and db.roles.count() == 1


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.get(reverse("provisioning:database_list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_admins_see_customers_databases_and_customers_cannot_see_admin_pages(
    admin_client, alice_account, bob_account, db_server
):
    services.create_database(alice_account, "shop", actor=None)
    db, _ = services.create_database(bob_account, "garage", actor=None)
    run_jobs_inline()
    Database.objects.filter(pk=db.pk).update(state=ResourceState.FAILED)
    url = reverse("provisioning:admin_databases")
    body = admin_client.get(url).content.decode()
    assert "alice_shop" in body and "bob_garage" in body
    body = admin_client.get(url, {"state": "failed"}).content.decode()
    assert "alice_shop" not in body and "bob_garage" in body
    body = admin_client.get(url, {"server": db_server.pk + 1000}).content.decode()
    assert "No database matches these filters." in body


def test_a_name_that_would_be_the_panels_own_database_is_refused(
    db, plan, db_server, client, settings
):
    from accounts import services as account_services

    own = settings.DATABASES["default"]["NAME"]  # e.g. test_hearth_prov
    prefix, _, rest = own.partition("_")
    account, _ = account_services.create_customer(
        name="Tricky", email="t@example.test", prefix=prefix, plan=plan, actor=None
    )
    account.owner.email_verified_at = account.created_at
    account.owner.save()
    client.force_login(account.owner)
    response = _create(client, name=rest)
    assert f"{own} is a reserved name." in response.content.decode()
    assert not Database.objects.exists()


def test_every_customer_page_renders(alice_client, alice_account, db_server):
    db, _ = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    role = db.roles.get()
    for url in (
        reverse("provisioning:database_list"),
        CREATE,
        reverse("provisioning:database_detail", args=[db.pk]),
        reverse("provisioning:database_delete", args=[db.pk]),
        reverse("provisioning:role_create", args=[db.pk]),
        reverse("provisioning:role_password", args=[db.pk, role.pk]),
    ):
        response = alice_client.get(url)
        assert response.status_code == 200, url
        assert "alice" in response.content.decode()


def test_a_long_list_is_paginated_with_the_same_number_of_queries(
    alice_client, alice_account, bob_account, db_server, django_assert_num_queries
):
    bulk_databases(alice_account, db_server, 62)
    bulk_databases(bob_account, db_server, 3)
    url = reverse("provisioning:database_list")
    alice_client.get(url)
    with django_assert_num_queries(8):
        first = alice_client.get(url).content.decode()
    with django_assert_num_queries(8):
        second = alice_client.get(url, {"page": 2}).content.decode()
    assert first.count("alice_bulk") == 2 * 50  # name and owner role per row
    assert second.count("alice_bulk") == 2 * 12 and "bob_bulk" not in first + second
    assert "Page 1 of 2 · 62 total" in first


def test_a_read_only_role_reads_but_cannot_change_anything_on_the_server(
    alice_client, alice_account, db_server, target_pg
):
    import psycopg

    db, owner_password = services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    response = alice_client.post(
        reverse("provisioning:role_create", args=[db.pk]),
        {"name": "reader", "privilege": "readonly"},
    )
    reader_password = _shown_password(response)
    run_jobs_inline()
    with target_pg.connect("alice_shop", user="alice_shop", password=owner_password) as conn:
        conn.execute("CREATE TABLE orders (id serial PRIMARY KEY, total int)")  # after the grant
        conn.execute("INSERT INTO orders (total) VALUES (10)")
    with target_pg.connect("alice_shop", user="alice_reader", password=reader_password) as conn:
        assert conn.execute("SELECT total FROM orders").fetchall() == [(10,)]
        for statement in (
            "INSERT INTO orders (total) VALUES (20)",
            "UPDATE orders SET total = 0",
            "DELETE FROM orders",
            "TRUNCATE orders",
            "CREATE TABLE mine (id int)",
            "DROP TABLE orders",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert target_pg.query("SELECT total FROM orders", dbname="alice_shop") == [(10,)]


def test_a_failed_role_can_be_removed_without_touching_the_server_role(
    alice_client, alice_account, db_server, target_pg
):
    target_pg.query("CREATE ROLE alice_taken LOGIN")  # made by hand, not the panel's
    db = _created_database(alice_account)
    alice_client.post(
        reverse("provisioning:role_create", args=[db.pk]), {"name": "taken", "privilege": "all"}
    )
    run_jobs_inline()
    role = db.roles.get(name="alice_taken")
    assert role.state == ResourceState.FAILED
    detail = reverse("provisioning:database_detail", args=[db.pk])
    remove = reverse("provisioning:role_remove", args=[db.pk, role.pk])
    body = alice_client.get(detail).content.decode()
    assert "A role named alice_taken already exists on the server." in body and remove in body
    response = alice_client.post(remove, follow=True)
    assert "The role alice_taken is being removed." in response.content.decode()
    run_jobs_inline()
    assert not db.roles.filter(name="alice_taken").exists()
    assert "alice_taken" in target_pg.roles()


def test_a_failed_database_says_why_and_offers_no_connection_string(
    alice_client, alice_account, db_server, target_pg
):
    target_pg.query("CREATE ROLE alice_shop LOGIN")  # made by hand: the create fails
    db = _created_database(alice_account)
    assert db.state == ResourceState.FAILED
    body = alice_client.get(reverse("provisioning:database_detail", args=[db.pk])).content
    body = body.decode()
    assert "A role named alice_shop already exists on the server." in body
    assert "Delete this entry to free its name" in body and "Traceback" not in body
    assert "postgresql://" not in body and "Add a role" not in body
