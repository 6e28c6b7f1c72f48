"""What the mail services share: who may act, which server, turning name errors into refusals."""

from __future__ import annotations

import secrets
import string

from accounts.models import HostingAccount
from provisioning.exceptions import (
    BusyResource,
    NameRefused,
    NoServerAvailable,
    NotVerified,
    ProvisioningError,
)
from provisioning.mail import names
from provisioning.servers.models import Server

PASSWORD_ALPHABET = string.ascii_letters + string.digits


class MailRefused(ProvisioningError):
    """A mail rule was broken (field: the form field it belongs to)."""

    code = "mail_refused"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def refuse(exc: names.InvalidMailName, field: str) -> MailRefused:
    return MailRefused(str(exc), field=field)


def check_actor(account: HostingAccount, actor) -> None:
    if actor is not None and not actor.is_admin and not actor.is_verified:
        raise NotVerified("Confirm your email address before setting up mail.")
    if not account.is_active:
        raise NotVerified("This hosting account is suspended.")


def lock_account(account: HostingAccount) -> HostingAccount:
    return HostingAccount.objects.select_for_update().select_related("plan").get(pk=account.pk)


def pick_server() -> Server:
    server = Server.objects.active().with_role("mail").order_by("pk").first()
    if server is None:
        raise NoServerAvailable("No mail server is available right now; try again later.")
    return server


def check_idle(resource, what: str) -> None:
    if resource.is_busy:
        raise BusyResource(f"{what} is {resource.get_state_display().lower()}; wait for it.")
    if resource.state == "failed":
        raise BusyResource(f"{what} could not be set up; delete it and add it again.")


def generate_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(20))


def name_or_refuse(func, value, field: str, **kwargs):
    try:
        return func(value, **kwargs)
    except names.InvalidMailName as exc:
        raise refuse(exc, field) from None


__all__ = ["MailRefused", "NameRefused"]
