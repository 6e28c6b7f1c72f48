"""Used space and message count of mailboxes, read from Dovecot through the backend."""

from __future__ import annotations

from django.utils import timezone

from provisioning.engine.backends import BackendError, get_backend
from provisioning.engine.choices import ResourceState
from provisioning.mail.models import Mailbox


def refresh(mailboxes) -> int:
    """Ask each mailbox's server; rows it cannot answer keep their last figures."""
    backends: dict[int, object] = {}
    done = 0
    try:
        for box in mailboxes:
            server = box.domain.server
            try:
                backend = backends.get(server.pk) or get_backend(server, "mail")
                backends[server.pk] = backend
                used, count = backend.usage(box.address)
            except (BackendError, NotImplementedError):
                continue
            Mailbox.objects.filter(pk=box.pk).update(
                used_bytes=used, message_count=count, usage_checked_at=timezone.now()
            )
            box.used_bytes, box.message_count = used, count
            done += 1
    finally:
        for backend in backends.values():
            backend.close()
    return done


def refresh_all() -> int:
    rows = Mailbox.objects.filter(state=ResourceState.ACTIVE).select_related("domain__server")
    return refresh(rows.iterator())
