class AccountsError(Exception):
    """A rule of the accounts domain was broken; the message is shown to people."""


class PlanInUse(AccountsError):
    pass
