"""The audit timeline: scoping, filters, pagination, detail page, streamed CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from provisioning.models import Database, ProvisioningJob, Server
from security import audit
from security.models import AuditEvent

TIMELINE = reverse("security:audit")
EXPORT = reverse("security:audit_export")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def events(rf, admin_user, alice_account, bob_account):
    request = rf.post("/", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT=FIREFOX)
    request.user = alice_account.owner
    alice_event = audit.record(request, "database.created", target=alice_account, name="alice_shop")
    bob_event = audit.record(bob_account.owner, "mailbox.created", target=bob_account, box="info")
    admin_event = audit.record(admin_user, "plan.updated", target_label="Standard")
    return alice_event, bob_event, admin_event


def test_admins_see_every_event_newest_first(admin_client, events):
    page = admin_client.get(TIMELINE).content.decode()
    positions = [
        page.index(action) for action in ["plan.updated", "mailbox.created", "database.created"]
    ]
    assert positions == sorted(positions)


def test_customers_see_only_their_own_accounts_events(alice_client, events):
    page = alice_client.get(TIMELINE).content.decode()
    assert "database.created" in page
    assert "mailbox.created" not in page and "plan.updated" not in page


def test_each_event_shows_ip_user_agent_and_details(alice_client, events):
    page = alice_client.get(TIMELINE).content.decode()
    assert "198.51.100.4" in page and "name=alice_shop" in page
    # The list names the client in words; the raw string is in its title and on the event page.
    assert "Firefox 128 · Windows 10" in page and f'title="{FIREFOX}"' in page


def test_a_customer_opening_another_customers_event_gets_404(alice_client, events):
    alice_event, bob_event, admin_event = events
    assert (
        alice_client.get(reverse("security:audit_detail", args=[alice_event.pk])).status_code == 200
    )
    response = alice_client.get(reverse("security:audit_detail", args=[bob_event.pk]))
    assert response.status_code == 404 and b"mailbox.created" not in response.content
    assert (
        alice_client.get(reverse("security:audit_detail", args=[admin_event.pk])).status_code == 404
    )


def test_the_detail_page_shows_everything(admin_client, events):
    alice_event = events[0]
    page = admin_client.get(
        reverse("security:audit_detail", args=[alice_event.pk])
    ).content.decode()
    for text in [
        "database.created",
        "alice@example.test",
        "198.51.100.4",
        "Firefox/128",
        "alice_shop",
    ]:
        assert text in page


def test_anonymous_visitors_are_sent_to_login(client, events):
    for url in [TIMELINE, EXPORT, reverse("security:audit_detail", args=[events[0].pk])]:
        assert client.get(url)["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("params", "expected", "absent"),
    [
        ({"actor": "bob@"}, "mailbox.created", "database.created"),
        ({"action": "database."}, "database.created", "mailbox.created"),
        ({"action": "mail"}, "mailbox.created", "plan.updated"),
        ({"target": "Bob Garage"}, "mailbox.created", "database.created"),
        ({"q": "alice_shop"}, "database.created", "mailbox.created"),
        ({"q": "Firefox"}, "database.created", "plan.updated"),
    ],
)
def test_filters(admin_client, events, params, expected, absent):
    page = admin_client.get(TIMELINE, params).content.decode()
    assert expected in page and absent not in page


def test_date_range_filter(admin_client, events, admin_user):
    old = AuditEvent(action="ancient.thing", created_at=timezone.now() - timedelta(days=40))
    old.save()
    today = timezone.localdate()
    recent = admin_client.get(TIMELINE, {"since": today - timedelta(days=1)}).content.decode()
    assert "database.created" in recent and "ancient.thing" not in recent
    past = admin_client.get(
        TIMELINE, {"since": today - timedelta(days=41), "until": today - timedelta(days=39)}
    ).content.decode()
    assert "ancient.thing" in past and "database.created" not in past


def test_the_timeline_paginates_with_a_fixed_number_of_queries(
    admin_client, admin_user, settings, django_assert_num_queries
):
    settings.PAGE_SIZE = 50
    AuditEvent.objects.bulk_create(
        AuditEvent(action=f"bulk.event{i:03}", actor_label="robot") for i in range(120)
    )
    admin_client.get(TIMELINE)
    # session, user, count, page
    with django_assert_num_queries(4):
        first = admin_client.get(TIMELINE).content.decode()
    assert "Page 1 of 3" in first
    third = admin_client.get(TIMELINE, {"page": 3, "actor": "robot"}).content.decode()
    assert "Page 3 of 3" in third and "bulk.event000" in third and "bulk.event119" not in third
    assert "actor=robot&amp;page=2" in third


def test_empty_state_when_nothing_matches(admin_client, events):
    page = admin_client.get(TIMELINE, {"action": "nothing."}).content.decode()
    assert "No event matches these filters" in page


def test_csv_export_streams_the_filtered_view(admin_client, events):
    response = admin_client.get(EXPORT, {"action": "database."})
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["created_at", "action", "actor"]
    assert [row[1] for row in rows[1:]] == ["database.created"]
    assert rows[1][7] == "198.51.100.4" and "alice_shop" in rows[1][10]


def test_csv_export_is_scoped_to_the_customer(alice_client, events):
    response = alice_client.get(EXPORT)
    body = b"".join(response.streaming_content).decode()
    assert "database.created" in body and "mailbox.created" not in body


def test_csv_export_neutralises_formulas(admin_client, admin_user):
    audit.record(admin_user, "plan.created", target_label='=HYPERLINK("x")')
    body = b"".join(admin_client.get(EXPORT).streaming_content).decode()
    assert "'=HYPERLINK" in body


def test_customers_see_what_admins_and_the_system_did_to_their_resources(
    admin_user, alice_account, alice_client, bob_client
):
    server = Server.objects.create(name="db1", address="127.0.0.1", roles=["database"])
    db = Database.objects.create(
        account=alice_account, server=server, name="alice_shop", owner_role="alice_shop"
    )
    job = ProvisioningJob.objects.create(
        kind="database.create",
        resource_type=ContentType.objects.get_for_model(Database),
        resource_id=db.pk,
        resource_label=db.name,
        lock_scope=db.lock_scope,
        account=alice_account,
        server=server,
    )
    audit.record(admin_user, "database.created", target=db, server=server.name)
    audit.record(None, "job.succeeded", target=job, kind=job.kind)
    audit.record(admin_user, "server.tested", target=server, ok=True)
    alice_page = alice_client.get(TIMELINE).content.decode()
    assert "database.created" in alice_page and "job.succeeded" in alice_page
    assert "server.tested" not in alice_page
    bob_page = bob_client.get(TIMELINE).content.decode()
    assert "database.created" not in bob_page and "job.succeeded" not in bob_page
