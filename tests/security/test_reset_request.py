"""A reset request does the same work whether or not an account has the address."""

from __future__ import annotations

import threading

import pytest
from celery.signals import after_task_publish, task_postrun
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outbox.models import Message
from panel.stack import free_port
from security.models import AuditEvent
from tests.mail import send_django_mail_to, start_smtp

pytestmark = pytest.mark.django_db(transaction=True)


class _Tasks:
    """Task names published by the request, and the ids the worker has finished."""

    def __init__(self):
        self.published: list[tuple[str, str]] = []
        self.finished: set[str] = set()
        self.changed = threading.Condition()

    def on_publish(self, sender=None, headers=None, **kwargs):
        self.published.append((sender, headers["id"]))

    def on_postrun(self, task_id=None, **kwargs):
        with self.changed:
            self.finished.add(task_id)
            self.changed.notify_all()

    def wait_done(self, timeout=60.0):
        with self.changed:
            assert self.changed.wait_for(
                lambda: {i for _, i in self.published} <= self.finished, timeout
            ), "the worker did not finish the request's tasks"


def _request(email: str):
    tasks = _Tasks()
    after_task_publish.connect(tasks.on_publish, weak=False)
    task_postrun.connect(tasks.on_postrun, weak=False)
    try:
        with CaptureQueriesContext(connection) as queries:
            response = Client().post(reverse("security:password_reset"), {"email": email})
        by_request = [name for name, _ in tasks.published]  # the worker publishes too
        tasks.wait_done()
    finally:
        after_task_publish.disconnect(tasks.on_publish)
        task_postrun.disconnect(tasks.on_postrun)
    statements = [q["sql"] for q in queries.captured_queries]
    return response, statements, by_request


def test_known_and_unknown_addresses_make_the_request_do_the_same_work(
    celery_worker, alice_account, settings
):
    port = free_port()
    controller, inbox = start_smtp(port)
    send_django_mail_to(settings, port)
    try:
        known, known_sql, known_tasks = _request("alice@example.test")
        unknown, unknown_sql, unknown_tasks = _request("nobody@example.test")
        inbox.wait_for("alice@example.test", timeout=60)
    finally:
        controller.stop()
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # Same statements (none names the address: the lookup happens in the worker).
    assert known_sql == unknown_sql
    assert not any("auth_user" in sql or "accounts_user" in sql for sql in known_sql)
    assert known_tasks == unknown_tasks == ["security.send_password_reset"]
    # The worker did the difference: one email and one audit event for the real account.
    resets = Message.objects.filter(kind="password_reset")
    assert [m.to for m in resets] == [["alice@example.test"]]
    assert [e.rcpt_tos for e in inbox.envelopes if b"new password" in e.content.lower()] == [
        ["alice@example.test"]
    ]
    assert AuditEvent.objects.filter(action="auth.password_reset_requested").count() == 1
