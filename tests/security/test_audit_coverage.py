"""Table-driven: each security action writes its audit event, with its details, at its IP."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from security.models import AuditEvent
from tests.conftest import PASSWORD
from tests.security.test_sessions import FIREFOX, IPHONE, _login


def _end_other_sessions(alice_account):
    here = _login(alice_account.owner.email, FIREFOX, ip="198.51.100.40")
    for _ in range(2):
        _login(alice_account.owner.email, IPHONE)
    here.post(reverse("security:revoke_others"), REMOTE_ADDR="198.51.100.40")


def _change_password(alice_account):
    here = _login(alice_account.owner.email, FIREFOX, ip="198.51.100.40")
    _login(alice_account.owner.email, IPHONE)
    new = "a-new-long-passphrase-41"
    here.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        REMOTE_ADDR="198.51.100.40",
    )


def _failed_login(alice_account):
    Client(REMOTE_ADDR="198.51.100.40").post(
        reverse("accounts:login"), {"username": alice_account.owner.email, "password": "wrong"}
    )


CASES = [
    # (action, what it does, details the event must carry)
    ("auth.session_revoked", _end_other_sessions, {"sessions": 2}),
    ("auth.session_revoked", _change_password, {"sessions": 1}),
    ("auth.login_failed", _failed_login, {}),
]


@pytest.mark.parametrize(
    ("action", "act", "details"), CASES, ids=lambda c: getattr(c, "__name__", str(c))
)
def test_each_security_action_writes_its_event(alice_account, action, act, details):
    act(alice_account)
    event = AuditEvent.objects.filter(action=action).latest("id")
    assert event.target_id == str(alice_account.owner.pk)
    assert event.ip == "198.51.100.40"
    for key, value in details.items():
        assert event.details[key] == value
