"""Typed errors of the provisioning domain; each message is a sentence for people."""


class ProvisioningError(Exception):
    """A rule was broken; views show the message as a form error or a toast."""

    field: str | None = None  # the form field the message belongs to, if any


class NotVerified(ProvisioningError):
    pass


class QuotaExceeded(ProvisioningError):
    pass


class NameRefused(ProvisioningError):
    field = "name"


class BusyResource(ProvisioningError):
    pass


class NoServerAvailable(ProvisioningError):
    pass


class JobStateError(ProvisioningError):
    pass
