"""Tracked sessions: recorded at login, listed, revoked (dead on the next request), admin view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from security.models import AuditEvent, UserSession, session_key_digest
from security.tasks import prune_sessions
from security.user_sessions import SESSION_SEEN
from tests.security.conftest import password_login

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
DASHBOARD = reverse("accounts:dashboard")
SETTINGS = reverse("security:settings")


def _login(email, agent, ip="192.0.2.10"):
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    assert password_login(client, email).status_code == 302
    return client


def test_login_records_a_session_with_ip_and_parsed_user_agent(alice_account):
    client = _login(alice_account.owner.email, IPHONE, ip="198.51.100.7")
    tracked = UserSession.objects.get(user=alice_account.owner)
    assert tracked.session_key_hash == session_key_digest(client.session.session_key)
    assert tracked.ip == "198.51.100.7"
    assert (tracked.browser, tracked.os, tracked.device) == ("Mobile Safari 17", "iOS 17", "iPhone")
    page = client.get(SETTINGS).content.decode()
    assert "Mobile Safari 17 · iOS 17 · iPhone" in page and "This session" in page
    assert "<td>now</td>" in page and "0 minutes" not in page  # last activity, in words


def test_the_session_key_rotates_at_login(alice_account):
    client = Client()
    client.get(reverse("accounts:login"))
    client.cookies["sessionid"] = "attackerchosenkey0000000000000000"
    password_login(client, alice_account.owner.email)
    assert client.session.session_key != "attackerchosenkey0000000000000000"
    assert SESSION_KEY in client.session


def test_revoking_another_session_kills_it_on_its_next_request(alice_account):
    here = _login(alice_account.owner.email, FIREFOX)
    phone = _login(alice_account.owner.email, IPHONE)
    assert phone.get(DASHBOARD).status_code == 200
    other = UserSession.objects.get(session_key_hash=session_key_digest(phone.session.session_key))
    response = here.post(reverse("security:session_revoke", args=[other.pk]), follow=True)
    assert "was ended" in response.content.decode()
    response = phone.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    other.refresh_from_db()
    assert other.revoked_at is not None
    assert here.get(DASHBOARD).status_code == 200
    assert AuditEvent.objects.filter(action="auth.session_revoked").count() == 1


def test_a_revoked_session_cookie_stays_dead_even_replayed(alice_account):
    here = _login(alice_account.owner.email, FIREFOX)
    phone = _login(alice_account.owner.email, IPHONE)
    stolen_cookie = phone.cookies["sessionid"].value
    other = UserSession.objects.get(session_key_hash=session_key_digest(stolen_cookie))
    here.post(reverse("security:session_revoke", args=[other.pk]))
    replay = Client()
    replay.cookies["sessionid"] = stolen_cookie
    assert replay.get(DASHBOARD).status_code == 302


def test_revoke_all_other_sessions(alice_account):
    here = _login(alice_account.owner.email, FIREFOX)
    others = [_login(alice_account.owner.email, IPHONE) for _ in range(2)]
    here.post(reverse("security:revoke_others"))
    assert all(client.get(DASHBOARD).status_code == 302 for client in others)
    assert here.get(DASHBOARD).status_code == 200
    assert UserSession.objects.active().count() == 1


def test_a_customer_cannot_revoke_someone_elses_session(alice_account, bob_account):
    alice = _login(alice_account.owner.email, FIREFOX)
    bob = _login(bob_account.owner.email, FIREFOX)
    bobs = UserSession.objects.get(user=bob_account.owner)
    assert alice.post(reverse("security:session_revoke", args=[bobs.pk])).status_code == 404
    assert bob.get(DASHBOARD).status_code == 200


def test_a_session_revoked_while_its_request_runs_is_ended_by_the_middleware(alice_account):
    client = _login(alice_account.owner.email, FIREFOX)
    # Marked revoked without deleting it from the store (e.g. a race with an in-flight request).
    UserSession.objects.update(revoked_at="2020-01-01T00:00:00Z")
    assert client.get(DASHBOARD).status_code == 200  # within the minute: no query, still alive
    session = client.session
    session[SESSION_SEEN] = 0
    session.save()
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and SESSION_KEY not in client.session


def test_last_activity_is_written_at_most_once_a_minute(alice_account, django_assert_num_queries):
    client = _login(alice_account.owner.email, FIREFOX)
    tracked = UserSession.objects.get(user=alice_account.owner)
    client.get(DASHBOARD)
    tracked.refresh_from_db()
    first = tracked.last_activity
    client.get(DASHBOARD)
    tracked.refresh_from_db()
    assert tracked.last_activity == first
    session = client.session
    session[SESSION_SEEN] -= 61
    session.save()
    client.get(DASHBOARD)
    tracked.refresh_from_db()
    assert tracked.last_activity > first


def test_logout_closes_the_tracked_session(alice_account):
    client = _login(alice_account.owner.email, FIREFOX)
    client.post(reverse("accounts:logout"))
    assert not UserSession.objects.active().exists()


def test_admins_see_and_revoke_any_users_sessions(admin_client, alice_account, bob_account):
    alice = _login(alice_account.owner.email, FIREFOX)
    _login(bob_account.owner.email, IPHONE)
    page = admin_client.get(reverse("security:admin_sessions")).content.decode()
    assert "alice@example.test" in page and "bob@example.test" in page
    filtered = admin_client.get(reverse("security:admin_sessions") + "?user=alice").content.decode()
    assert "alice@example.test" in filtered and "bob@example.test" not in filtered
    alices = UserSession.objects.get(user=alice_account.owner)
    response = admin_client.post(reverse("security:admin_session_revoke", args=[alices.pk]))
    assert response.status_code == 302
    assert alice.get(DASHBOARD).status_code == 302
    event = AuditEvent.objects.get(action="auth.session_revoked")
    assert event.actor_label == "admin@example.test" and event.account_id == alice_account.pk


def test_customers_cannot_open_the_admin_sessions_page(alice_client, bob_account):
    assert alice_client.get(reverse("security:admin_sessions")).status_code == 403
    bobs = UserSession.objects.create(user=bob_account.owner, session_key_hash="x" * 64)
    url = reverse("security:admin_session_revoke", args=[bobs.pk])
    assert alice_client.post(url).status_code == 403


def test_admin_sessions_page_query_count_is_fixed(
    admin_client, alice_account, django_assert_num_queries
):
    for _ in range(5):
        _login(alice_account.owner.email, FIREFOX)
    admin_client.get(reverse("security:admin_sessions"))
    # session, user, count, page of sessions with their users (one join)
    with django_assert_num_queries(4):
        response = admin_client.get(reverse("security:admin_sessions"))
    assert response.content.decode().count("<td>alice@example.test</td>") == 5


def test_security_page_query_count_is_fixed(alice_account, django_assert_num_queries):
    client = _login(alice_account.owner.email, FIREFOX)
    for _ in range(4):
        _login(alice_account.owner.email, IPHONE)
    client.get(SETTINGS)
    # session, user, TOTP device, backup codes left, the sessions
    with django_assert_num_queries(5):
        page = client.get(SETTINGS).content.decode()
    assert page.count("Mobile Safari 17") == 4


def test_expired_sessions_are_not_listed(alice_account, settings):
    client = _login(alice_account.owner.email, FIREFOX)
    stale = UserSession.objects.create(
        user=alice_account.owner,
        session_key_hash="s" * 64,
        browser="Ancient Browser 1",
        last_activity=timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE + 60),
    )
    assert "Ancient Browser 1" not in client.get(SETTINGS).content.decode()
    assert stale not in UserSession.objects.active()


@pytest.mark.django_db(transaction=True)
def test_the_worker_prunes_long_ended_sessions(celery_worker, alice_account, settings):
    user = alice_account.owner
    long_ago = timezone.now() - timedelta(days=31)
    old = UserSession.objects.create(user=user, session_key_hash="o" * 64, revoked_at=long_ago)
    dead = UserSession.objects.create(
        user=user,
        session_key_hash="d" * 64,
        last_activity=long_ago - timedelta(seconds=settings.SESSION_COOKIE_AGE),
    )
    recent = UserSession.objects.create(
        user=user, session_key_hash="r" * 64, revoked_at=timezone.now()
    )
    assert prune_sessions.delay().get(timeout=30) == 2
    remaining = set(UserSession.objects.values_list("pk", flat=True))
    assert recent.pk in remaining and not {old.pk, dead.pk} & remaining
