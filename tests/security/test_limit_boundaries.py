"""Issue 10 item 20: boundary cases (just below, at, just above) for the sudo window and every
sliding-window throttle, with the clock moved instead of waited for."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from security import sudo, throttle
from tests.conftest import PASSWORD, login_with_second_factor
from tests.security.conftest import password_login


@pytest.fixture
def clock(monkeypatch):
    """clock.at(t): time.time() answers t until moved again."""

    class Clock:
        now = time.time()

        def at(self, value: float) -> None:
            self.now = value

    fake = Clock()
    monkeypatch.setattr(time, "time", lambda: fake.now)
    return fake


@pytest.mark.parametrize(("offset", "open_"), [(-1, True), (0, False), (1, False)])
def test_the_sudo_window_ends_exactly_at_its_length(
    clock, admin_user, admin_device, alice_account, settings, offset, open_
):
    admin = login_with_second_factor(Client(), admin_user, admin_device)
    url = reverse("accounts:customer_delete", args=[alice_account.pk])
    granted_at = clock.now
    admin.post(reverse("security:sudo"), {"password": PASSWORD, "next": url})
    assert admin.session[sudo.SESSION_KEY] == granted_at + settings.SECURITY_SUDO_SECONDS
    clock.at(granted_at + settings.SECURITY_SUDO_SECONDS + offset)
    response = admin.get(url)
    if open_:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("security:sudo"))


WINDOWS = [
    (throttle.login_by_account, "SECURITY_LOCKOUT_ACCOUNT_LIMIT", "SECURITY_LOCKOUT_WINDOW"),
    (throttle.login_by_ip, "SECURITY_LOCKOUT_IP_LIMIT", "SECURITY_LOCKOUT_WINDOW"),
    (throttle.second_factor, "SECURITY_OTP_LIMIT", "SECURITY_LOCKOUT_WINDOW"),
    (throttle.emails, "SECURITY_EMAIL_LIMIT", "SECURITY_EMAIL_WINDOW"),
]


@pytest.mark.parametrize(("factory", "limit_setting", "window_setting"), WINDOWS)
def test_each_throttle_blocks_at_its_limit_not_before(
    factory, limit_setting, window_setting, settings
):
    window = factory()
    assert window.limit == getattr(settings, limit_setting)
    assert window.window == getattr(settings, window_setting)
    for _ in range(window.limit - 1):
        window.hit("boundary")
    assert not window.blocked("boundary") and window.retry_after("boundary") == 0
    assert window.hit("boundary") == window.limit
    assert window.blocked("boundary") and window.retry_after("boundary") > 0


@pytest.mark.parametrize(("factory", "limit_setting", "window_setting"), WINDOWS)
@pytest.mark.parametrize(("age", "counted"), [(-1, True), (0, False), (1, False)])
def test_each_throttle_forgets_a_hit_exactly_one_window_later(
    clock, factory, limit_setting, window_setting, age, counted
):
    window = factory()
    start = clock.now
    for _ in range(window.limit):
        window.hit("aging")
    clock.at(start + window.window + age)
    assert window.blocked("aging") is counted
    assert (window.retry_after("aging") > 0) is counted
    if counted:
        assert window.retry_after("aging") == 1  # one second left in the window


def test_login_with_one_failure_below_the_limit_still_works(alice_account, settings):
    email = alice_account.owner.email
    for _ in range(settings.SECURITY_LOCKOUT_ACCOUNT_LIMIT - 1):
        password_login(Client(REMOTE_ADDR="192.0.2.1"), email, "wrong-password-123")
    client = Client(REMOTE_ADDR="192.0.2.2")
    assert password_login(client, email).status_code == 302
    assert SESSION_KEY in client.session


def test_login_at_the_limit_is_refused_even_with_the_right_password(alice_account, settings):
    email = alice_account.owner.email
    for _ in range(settings.SECURITY_LOCKOUT_ACCOUNT_LIMIT):
        password_login(Client(REMOTE_ADDR="192.0.2.1"), email, "wrong-password-123")
    response = password_login(Client(REMOTE_ADDR="192.0.2.2"), email)
    assert response.status_code == 429
