"""The outbox with a real worker and a real SMTP server on loopback."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from outbox import delivery, services
from outbox.choices import State
from outbox.models import Message
from panel.stack import free_port
from tests.mail import send_django_mail_to, start_smtp

pytestmark = pytest.mark.django_db(transaction=True)


def _until(predicate, timeout: float = 60.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def _queue(to: str = "carol@example.test") -> Message:
    with transaction.atomic():
        return services.queue_email("verify_email", to, {"link": "http://panel.test/x/"})


def test_mail_waits_in_the_outbox_while_smtp_is_down_and_is_sent_once_it_is_back(
    celery_worker, settings
):
    port = free_port()  # nothing listens yet: every send is refused
    send_django_mail_to(settings, port)
    settings.OUTBOX_RETRY_BACKOFF, settings.OUTBOX_RETRY_BACKOFF_MAX = 1, 2
    message = _queue()

    refused = _until(
        lambda: Message.objects.filter(pk=message.pk, attempts__gte=2).first(),
        what="two refused attempts",
    )
    assert refused.state == State.QUEUED and "Connection" in refused.last_error

    controller, inbox = start_smtp(port)  # the mail server is back
    try:
        inbox.wait_for("carol@example.test", timeout=60)
        sent = _until(
            lambda: Message.objects.filter(pk=message.pk, state=State.SENT).first(),
            what="the row marked sent",
        )
        assert sent.sent_at is not None and sent.last_error == ""
        assert sent.text_body == "" and sent.html_body == ""  # the live link is gone
        # Handing the row over again (beat's sweep, a redelivery) sends nothing more.
        assert services.hand_over(message.pk)
        assert (
            celery_worker.app.send_task("outbox.send_message", (message.pk,)).get(timeout=30)
            is False
        )
    finally:
        controller.stop()
    assert len(inbox.envelopes) == 1
    assert inbox.envelopes[0].rcpt_tos == ["carol@example.test"]


def test_a_message_fails_for_good_after_its_last_attempt(celery_worker, settings):
    send_django_mail_to(settings, free_port())
    settings.OUTBOX_RETRY_BACKOFF, settings.OUTBOX_MAX_ATTEMPTS = 1, 2
    message = _queue()
    failed = _until(
        lambda: Message.objects.filter(pk=message.pk, state=State.FAILED).first(),
        what="the row marked failed",
    )
    assert failed.attempts == 2 and failed.sent_at is None and failed.last_error


def test_nothing_is_queued_when_the_event_rolls_back(celery_worker, settings):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.queue_email("verify_email", "dave@example.test", {"link": "x"})
        raise RuntimeError("the event failed")
    assert not Message.objects.exists()


def test_backoff_doubles_up_to_its_cap(settings):
    settings.OUTBOX_RETRY_BACKOFF, settings.OUTBOX_RETRY_BACKOFF_MAX = 5, 30
    assert [delivery.backoff(n) for n in range(1, 6)] == [5, 10, 20, 30, 30]


def test_beat_sweep_sends_a_row_the_broker_never_got(celery_worker, settings):
    """As when the broker was down at commit time: the row exists, no task was published."""
    controller, inbox = start_smtp()
    send_django_mail_to(settings, controller.port)
    try:
        stranded = Message.objects.create(
            kind="alert", to=["ops@example.test"], subject="stranded", text_body="body"
        )
        fresh = Message.objects.create(kind="alert", to=["ops@example.test"], subject="fresh")
        Message.objects.filter(pk=stranded.pk).update(
            created_at=timezone.now() - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER + 1)
        )
        assert celery_worker.app.send_task("outbox.dispatch_queued").get(timeout=30) == 1
        inbox.wait_for("ops@example.test", timeout=60)
        _until(
            lambda: Message.objects.filter(pk=stranded.pk, state=State.SENT).exists(),
            what="the stranded row marked sent",
        )
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == ["stranded"]
    assert Message.objects.get(pk=fresh.pk).state == State.QUEUED  # not yet its turn
