"""No value reaches an email header with a line break in it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import alerts
from monitoring.models import AlertRule, ServerState
from outbox.headers import has_break, one_line
from outbox.models import Message
from provisioning.servers.models import Server
from tests.mail import outbox_inline, send_django_mail_to, start_smtp

INJECTED = "web1\r\nBcc: mallory@example.test\r\n\r\nforged body"


@pytest.mark.parametrize("value", [INJECTED, "a\nb", "a\rb", "a\x00b", "a\u2028b", "a\x85b"])
def test_one_line_leaves_no_line_break(value):
    cleaned = one_line(value)
    assert has_break(value) and not has_break(cleaned)
    assert "\r" not in cleaned and "\n" not in cleaned


def test_the_server_form_refuses_a_name_with_a_line_break(admin_client):
    response = admin_client.post(
        reverse("provisioning:server_create"),
        {"name": INJECTED, "address": "web1.example.test", "roles": ["web"]},
    )
    assert response.status_code == 200  # the form again, with the message
    assert "A server name is a single line." in response.content.decode()
    assert not Server.objects.exists()


def test_an_alert_about_a_server_named_with_line_breaks_sends_one_clean_subject(
    admin_user, settings, django_capture_on_commit_callbacks
):
    """A name stored before the form refused line breaks is stripped by the pipeline."""
    controller, inbox = start_smtp()
    send_django_mail_to(settings, controller.port)
    server = Server.objects.create(name=INJECTED, address="web1.example.test", roles=["web"])
    now = timezone.now()
    # The agent has been silent for ten minutes: the real evaluation pass opens the alert.
    ServerState.objects.create(
        server=server,
        last_report_at=now - timedelta(minutes=10),
        last_sample_at=now - timedelta(minutes=10),
        interval_seconds=10,
    )
    alerts.ensure_default_rules()
    AlertRule.objects.exclude(kind="silent").update(enabled=False)
    try:
        with outbox_inline(), django_capture_on_commit_callbacks(execute=True):
            assert alerts.evaluate(now)["opened"] == 1
        message = inbox.wait_for(admin_user.email)
    finally:
        controller.stop()
    row = Message.objects.get(kind="alert")
    assert not has_break(row.subject) and "web1 Bcc: mallory@example.test" in row.subject
    assert message["Bcc"] is None
    assert "mallory" in message["Subject"] and "\n" not in message["Subject"]
    assert [e.rcpt_tos for e in inbox.envelopes] == [[admin_user.email]]
