"""Idle timeout (2 h; 30 min for admins) and absolute lifetime (24 h; 8 h for admins)."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from security import session_limits
from security.models import AuditEvent


def _age(client, *, idle: int = 0, started: int = 0) -> None:
    session = client.session
    now = int(time.time())
    session[session_limits.ACTIVE] = now - idle
    session[session_limits.STARTED] = now - max(started, idle)
    session.save()


def _signed_in(client, url) -> bool:
    response = client.get(url)
    return response.status_code == 200


@pytest.mark.parametrize(("idle", "signed_in"), [(7200 - 60, True), (7260, False)])
def test_a_customer_session_ends_after_two_idle_hours(alice_client, idle, signed_in):
    _age(alice_client, idle=idle)
    assert _signed_in(alice_client, reverse("accounts:dashboard")) is signed_in


def test_an_expired_session_says_why_and_is_audited(alice_client, alice_account):
    _age(alice_client, idle=7201)
    response = alice_client.get(reverse("accounts:dashboard"), follow=True)
    assert "signed out after 2 hours without activity" in response.content.decode()
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert event.target_id == str(alice_account.owner.pk)
    assert "2 hours" in event.details["reason"]


@pytest.mark.parametrize(("idle", "signed_in"), [(1740, True), (1801, False)])
def test_admin_sessions_have_a_shorter_idle_timeout(admin_client, idle, signed_in):
    _age(admin_client, idle=idle)
    assert _signed_in(admin_client, reverse("accounts:admin_overview")) is signed_in


@pytest.mark.parametrize(
    ("persona", "url", "lifetime"),
    [
        ("alice_client", "accounts:dashboard", 24 * 3600),
        ("admin_client", "accounts:admin_overview", 8 * 3600),
    ],
)
def test_an_active_session_still_ends_at_its_lifetime(request, persona, url, lifetime):
    client = request.getfixturevalue(persona)
    _age(client, started=lifetime - 60)
    assert _signed_in(client, reverse(url))
    _age(client, started=lifetime + 1)
    assert not _signed_in(client, reverse(url))


def test_activity_keeps_a_session_alive(alice_client):
    _age(alice_client, idle=7000)
    assert _signed_in(alice_client, reverse("accounts:dashboard"))
    assert time.time() - alice_client.session[session_limits.ACTIVE] < 60


class _Request:
    def __init__(self, user, started, active):
        self.user = user
        self.session = {session_limits.STARTED: started, session_limits.ACTIVE: active}


@pytest.mark.parametrize(
    ("persona", "idle_limit", "lifetime"),
    [("customer", 7200, 24 * 3600), ("admin", 1800, 8 * 3600)],
)
def test_limits_just_below_at_and_just_above(
    persona, idle_limit, lifetime, alice_account, admin_user
):
    user = admin_user if persona == "admin" else alice_account.owner
    now = 1_000_000
    for idle, ends in [(idle_limit - 1, False), (idle_limit, False), (idle_limit + 1, True)]:
        request = _Request(user, started=now - idle, active=now - idle)
        assert (session_limits.check(request, now=now) is not None) is ends, idle
    for age, ends in [(lifetime - 1, False), (lifetime, False), (lifetime + 1, True)]:
        request = _Request(user, started=now - age, active=now)
        assert (session_limits.check(request, now=now) is not None) is ends, age
