"""Typed errors of the provisioning domain; each message is a sentence for people.

Each kind decides the HTTP status in one place (panel/errors.py).
"""

from panel.errors import DomainError, Kind


class ProvisioningError(DomainError):
    """A rule was broken; views show the message as a form error or a toast."""

    kind = Kind.INVALID
    field: str | None = None  # the form field the message belongs to, if any


class NotVerified(ProvisioningError):
    kind = Kind.FORBIDDEN
    code = "email_not_verified"


class QuotaExceeded(ProvisioningError):
    kind = Kind.CONFLICT
    code = "quota_exceeded"


class NameRefused(ProvisioningError):
    field = "name"
    code = "name_refused"


class BusyResource(ProvisioningError):
    kind = Kind.CONFLICT
    code = "busy"


class NoServerAvailable(ProvisioningError):
    kind = Kind.UNAVAILABLE
    code = "no_server_available"


class JobStateError(ProvisioningError):
    kind = Kind.CONFLICT
    code = "job_state"


class QueueUnavailable(ProvisioningError):
    """Work that needs a worker now could not be queued (the broker is unreachable)."""

    kind = Kind.UNAVAILABLE
    code = "queue_unavailable"
