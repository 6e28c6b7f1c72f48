"""Failed logins are counted per account and per IP; lockout refuses, explains, and is audited."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.test import Client

from security.models import AuditEvent
from tests.security.conftest import password_login


def _fail(client, email, times):
    for _ in range(times):
        response = password_login(client, email, "wrong-password-123")
        assert response.status_code == 200
        assert "didn't match" in response.content.decode()


def test_the_account_is_locked_after_five_failures_even_with_the_right_password(
    alice_account, settings
):
    assert settings.SECURITY_LOCKOUT_ACCOUNT_LIMIT == 5
    _fail(Client(REMOTE_ADDR="192.0.2.1"), "alice@example.test", 5)
    client = Client(REMOTE_ADDR="192.0.2.99")  # another IP: the account counter still applies
    response = password_login(client, "alice@example.test")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed login attempts. Try again in 15 minutes." in page
    assert int(response["Retry-After"]) > 0
    assert SESSION_KEY not in client.session
    event = AuditEvent.objects.get(action="auth.locked_out", details__scope="account")
    assert event.target_id == str(alice_account.owner.pk) and event.ip == "192.0.2.1"


def test_lockout_does_not_reveal_whether_the_account_exists(alice_account):
    _fail(Client(REMOTE_ADDR="192.0.2.1"), "alice@example.test", 5)
    _fail(Client(REMOTE_ADDR="192.0.2.2"), "nobody@example.test", 5)
    known = password_login(Client(REMOTE_ADDR="192.0.2.3"), "alice@example.test")
    unknown = password_login(Client(REMOTE_ADDR="192.0.2.4"), "nobody@example.test")
    assert known.status_code == unknown.status_code == 429

    def message(response):
        return response.content.decode().split('role="alert">')[1].split("<")[0]

    assert message(known) == message(unknown)
    assert AuditEvent.objects.filter(action="auth.locked_out").count() == 4  # 2 accounts, 2 IPs


def test_the_ip_is_locked_after_five_failures_across_accounts(alice_account, bob_account):
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    for email in ["a@example.test", "b@example.test", "c@example.test", "d@example.test"]:
        _fail(attacker, email, 1)
    _fail(attacker, "alice@example.test", 1)
    response = password_login(attacker, "bob@example.test")
    assert response.status_code == 429
    assert password_login(Client(REMOTE_ADDR="203.0.113.6"), "bob@example.test").status_code == 302
    event = AuditEvent.objects.get(action="auth.locked_out")
    assert event.details["scope"] == "ip" and event.target_label == "203.0.113.5"
    # It concerns no account: Alice, whose address came fifth, does not get it in her timeline.
    assert event.account_id is None and event.target_id == ""


def test_a_successful_login_resets_the_account_counter(alice_account):
    client = Client(REMOTE_ADDR="192.0.2.1")
    _fail(Client(REMOTE_ADDR="192.0.2.50"), "alice@example.test", 4)
    assert password_login(client, "alice@example.test").status_code == 302
    client.post("/logout/")
    _fail(Client(REMOTE_ADDR="192.0.2.51"), "alice@example.test", 4)
    assert password_login(Client(REMOTE_ADDR="192.0.2.52"), "alice@example.test").status_code == 302


def test_the_threshold_is_configurable(alice_account, settings):
    settings.SECURITY_LOCKOUT_ACCOUNT_LIMIT = 2
    _fail(Client(REMOTE_ADDR="192.0.2.1"), "alice@example.test", 2)
    assert password_login(Client(REMOTE_ADDR="192.0.2.9"), "alice@example.test").status_code == 429


def test_every_failure_and_success_is_audited(alice_account):
    client = Client(REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT="curl/8.5")
    _fail(client, "alice@example.test", 1)
    password_login(client, "alice@example.test")
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.ip == "192.0.2.1" and failed.user_agent == "curl/8.5"
    assert AuditEvent.objects.filter(action="auth.login_succeeded").count() == 1
