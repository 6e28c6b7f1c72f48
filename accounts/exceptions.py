"""Typed errors of the accounts domain (see panel/errors.py for how they become answers)."""

from panel.errors import DomainError, Kind


class AccountsError(DomainError):
    """A rule of the accounts domain was broken; the message is shown to people."""

    kind = Kind.INVALID


class PlanInUse(AccountsError):
    kind = Kind.CONFLICT
    code = "plan_in_use"
