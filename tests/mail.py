"""A real SMTP server on loopback (aiosmtpd in a thread) that keeps what it receives."""

from __future__ import annotations

import email
import threading
import time
from contextlib import contextmanager
from email import policy

from aiosmtpd.controller import Controller

from panel.stack import free_port


class Inbox:
    """The aiosmtpd handler: `envelopes` as received, `messages` parsed, in arrival order."""

    def __init__(self):
        self.envelopes: list = []
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.arrived:
            self.envelopes.append(envelope)
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self.arrived:
            self.envelopes.clear()
            self.messages.clear()

    def _wait(self, ready, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        with self.arrived:
            while (found := ready()) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{what} did not arrive within {timeout} s")
                self.arrived.wait(remaining)
            return found

    def wait_for(self, to: str, timeout: float = 10.0):
        """The newest message addressed to `to`."""

        def newest():
            found = [m for m in self.messages if to in m["To"]]
            return found[-1] if found else None

        return self._wait(newest, timeout, f"an email to {to}")

    def wait_for_count(self, count: int, timeout: float = 60.0) -> list:
        """The envelopes once at least `count` have arrived (mail sent by the worker)."""
        return self._wait(
            lambda: list(self.envelopes) if len(self.envelopes) >= count else None,
            timeout,
            f"{count} email(s)",
        )

    def wait_for_matching(self, marker: bytes, count: int, timeout: float = 60.0) -> list:
        """The envelopes whose content holds `marker`, once `count` of them have arrived."""

        def matching():
            found = [e for e in self.envelopes if marker in e.content]
            return found if len(found) >= count else None

        return self._wait(matching, timeout, f"{count} email(s) with {marker!r}")


def start_smtp(port: int | None = None) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    return controller, inbox


def send_django_mail_to(settings, port: int) -> None:
    """Point Django's SMTP backend at 127.0.0.1:PORT (settings: pytest-django's fixture)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


@contextmanager
def outbox_inline():
    """Run the outbox's send task inline (Celery's eager mode) for tests that hold their
    data in an uncommitted transaction; the outbox itself is tested with a real worker."""
    from panel.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before
