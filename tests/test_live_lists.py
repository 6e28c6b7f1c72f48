"""Issue 10 item 16: lists of resources with jobs in flight update live (htmx polling of the
rows), and stop polling once nothing is in flight."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from provisioning.databases.models import Database
from provisioning.dns.models import Zone
from provisioning.engine.models import ProvisioningJob
from provisioning.servers.models import Server

POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "live-rows"}


@pytest.fixture
def server(db):
    return Server.objects.create(name="db1", address="127.0.0.1", roles=["database", "dns"])


def _database(account, server, name="alice_shop"):
    return Database.objects.create(
        account=account, server=server, name=name, owner_role=name, state="pending"
    )


def _zone(account, server):
    return Zone.objects.create(
        account=account,
        server=server,
        name="alice.test.",
        display_name="alice.test",
        state="pending",
    )


def _job(account, server):
    db = _database(account, server, "alice_jobs")
    db.state = "active"
    db.save(update_fields=["state"])
    return ProvisioningJob.objects.create(
        kind="database.create",
        resource_type=ContentType.objects.get_for_model(Database),
        resource_id=db.pk,
        resource_label=db.name,
        lock_scope=db.lock_scope,
        account=account,
        server=server,
    )


def _finish(obj):
    if isinstance(obj, ProvisioningJob):
        type(obj).objects.filter(pk=obj.pk).update(state="done")
    else:
        type(obj).objects.filter(pk=obj.pk).update(state="active")


LISTS = [
    # (url name, persona, make the row in flight, words of the final state)
    ("provisioning:database_list", "alice_client", _database, "Active"),
    ("provisioning:admin_databases", "admin_client", _database, "Active"),
    ("dns:zone_list", "alice_client", _zone, "Active"),
    ("provisioning:job_list", "admin_client", _job, "Done"),
]


@pytest.mark.parametrize(("name", "persona", "make", "final"), LISTS)
def test_a_list_polls_while_a_row_is_in_flight_and_stops_at_the_end(
    request, alice_account, server, name, persona, make, final
):
    client = request.getfixturevalue(persona)
    row = make(alice_account, server)
    url = reverse(name)
    page = client.get(url).content.decode()
    assert 'id="live-rows"' in page and 'data-live="on"' in page
    assert f'hx-get="{url}"' in page and 'hx-trigger="every 2s"' in page

    polled = client.get(url, **POLL)
    fragment = polled.content.decode()
    assert polled.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="live-rows"') and 'data-live="on"' in fragment

    _finish(row)
    fragment = client.get(url, **POLL).content.decode()
    assert "<html" not in fragment and final in fragment
    assert 'data-live="off"' in fragment and "hx-trigger" not in fragment


def test_a_list_with_nothing_in_flight_does_not_poll(alice_client, alice_account, server):
    db = _database(alice_account, server)
    _finish(db)
    page = alice_client.get(reverse("provisioning:database_list")).content.decode()
    assert 'data-live="off"' in page and 'hx-trigger="every 2s"' not in page


def test_the_poll_keeps_the_page_and_filters_it_was_asked_for(admin_client, alice_account, server):
    _database(alice_account, server)
    url = reverse("provisioning:admin_databases") + "?state=pending&page=1"
    page = admin_client.get(url).content.decode()
    assert 'hx-get="/provisioning/admin/databases/?state=pending&amp;page=1"' in page


def test_polling_the_database_list_costs_the_same_queries_for_one_or_many_rows(
    alice_client, alice_account, server, django_assert_max_num_queries
):
    _database(alice_account, server)
    url = reverse("provisioning:database_list")
    with django_assert_max_num_queries(30) as one:
        alice_client.get(url, **POLL)
    for index in range(2):
        _database(alice_account, server, f"alice_more{index}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        alice_client.get(url, **POLL)


def test_other_htmx_requests_still_get_the_whole_page(alice_client, alice_account, server):
    _database(alice_account, server)
    response = alice_client.get(reverse("provisioning:database_list"), HTTP_HX_REQUEST="true")
    assert "<html" in response.content.decode()
