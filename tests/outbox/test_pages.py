"""What admins and customers see of the outbox: states, retries, resend, mark verified."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts import services as accounts
from outbox.choices import State
from outbox.models import Message
from security.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora(plan):
    """A customer who has not confirmed her address; her verification email is queued."""
    account, _ = accounts.create_customer(
        name="Dora Deli",
        email="dora@example.test",
        prefix="dora",
        plan=plan,
        password=PASSWORD,
        actor=None,
    )
    return account


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_admins_see_every_message_with_state_attempts_and_error_paginated(admin_client):
    Message.objects.bulk_create(
        Message(kind="alert", to=["ops@example.test"], subject=f"alert {n}") for n in range(50)
    )
    Message.objects.create(
        kind="verify_email",
        to=["eve@example.test"],
        subject="Confirm",
        state=State.FAILED,
        attempts=48,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    page = admin_client.get(reverse("outbox:message_list")).content.decode()
    assert "Page 1 of 2" in page and page.count("<tr>") == 51  # header + 50 rows
    assert "Connection refused" in page and ">48<" in page and "Send again" in page
    failed = admin_client.get(reverse("outbox:message_list"), {"state": "failed"})
    assert failed.content.decode().count("<tr>") == 2


def test_the_outbox_page_is_for_admins_only(alice_client):
    assert alice_client.get(reverse("outbox:message_list")).status_code == 403
    assert Client().get(reverse("outbox:message_list")).status_code == 302


def test_an_admin_sends_a_failed_message_again_and_it_is_audited(admin_client, admin_user):
    message = Message.objects.create(
        kind="alert",
        to=["ops@example.test"],
        subject="x",
        state=State.FAILED,
        attempts=3,
        last_error="refused",
    )
    response = admin_client.post(reverse("outbox:message_resend", args=[message.pk]))
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (State.QUEUED, 0, "")
    event = AuditEvent.objects.get(action="outbox.message_resent")
    assert event.actor == admin_user and event.details["to"] == ["ops@example.test"]


def test_the_banner_says_when_sending_failed_and_that_it_retries(dora):
    client = _client_for(dora.owner)
    mail = Message.objects.get(kind="verify_email", to=["dora@example.test"])
    assert "the email is on its way" in client.get(reverse("accounts:dashboard")).content.decode()
    Message.objects.filter(pk=mail.pk).update(attempts=2, last_error="refused")
    page = client.get(reverse("accounts:dashboard")).content.decode()
    assert "could not be sent yet" in page and "we will keep retrying" in page
    Message.objects.filter(pk=mail.pk).update(state=State.FAILED)
    assert "sending the email failed" in client.get(reverse("accounts:dashboard")).content.decode()


def test_admin_resends_the_verification_email_from_the_account_page(admin_client, admin_user, dora):
    page = admin_client.get(reverse("accounts:account_detail", args=[dora.pk])).content.decode()
    assert "Resend the verification email" in page and "Mark as verified" in page
    url = reverse("security:admin_resend_verification", args=[dora.owner.pk])
    assert admin_client.post(url).status_code == 302
    assert Message.objects.filter(kind="verify_email", to=["dora@example.test"]).count() == 2
    assert AuditEvent.objects.filter(
        action="auth.verification_sent", target_id=str(dora.owner.pk), actor=admin_user
    ).exists()


def test_admin_marks_an_address_verified_and_it_is_audited(admin_client, admin_user, dora):
    url = reverse("security:admin_mark_verified", args=[dora.owner.pk])
    assert admin_client.post(url).status_code == 302
    dora.owner.refresh_from_db()
    assert dora.owner.is_verified
    event = AuditEvent.objects.get(action="auth.email_marked_verified")
    assert event.actor == admin_user and event.target_id == str(dora.owner.pk)
    page = admin_client.get(reverse("accounts:account_detail", args=[dora.pk])).content.decode()
    assert "Mark as verified" not in page


def test_customers_cannot_resend_or_mark_for_others(alice_client, dora):
    for name in ("admin_resend_verification", "admin_mark_verified"):
        url = reverse(f"security:{name}", args=[dora.owner.pk])
        assert alice_client.post(url).status_code == 403
    dora.owner.refresh_from_db()
    assert not dora.owner.is_verified
    assert not AuditEvent.objects.filter(action="auth.email_marked_verified").exists()
