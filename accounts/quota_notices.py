"""Email an account's owner once when a quota reaches 80 % and once when it is full."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.choices import AccountStatus
from accounts.dashboard import quota_warnings
from accounts.models import HostingAccount, QuotaNotice
from security import audit, emails


def notify_account(account: HostingAccount) -> int:
    """Queue the emails this account is owed; returns how many."""
    warned = {row["quota"].key: row for row in quota_warnings(account)}
    # Quotas back below 80 % may warn again next time; a full quota keeps its "near" notice.
    QuotaNotice.objects.filter(account=account).exclude(quota__in=list(warned)).delete()
    QuotaNotice.objects.filter(account=account, level="full").exclude(
        quota__in=[key for key, row in warned.items() if row["level"] == "full"]
    ).delete()
    sent = 0
    for key, row in warned.items():
        if _send_once(account, key, row):
            sent += 1
    return sent


def _send_once(account: HostingAccount, key: str, row: dict) -> bool:
    quota = row["quota"]
    try:
        with transaction.atomic():
            QuotaNotice.objects.create(account=account, quota=key, level=row["level"])
            emails.queue(
                "quota_warning",
                account.owner.email,
                {"account": account, "quota": quota, "full": row["level"] == "full"},
            )
            audit.record(
                None,
                "account.quota_warning",
                target=account,
                quota=key,
                level=row["level"],
                used=quota.used,
                limit=quota.limit,
            )
    except IntegrityError:  # already told (another pass got there first)
        return False
    return True


def notify_all() -> int:
    accounts = HostingAccount.objects.select_related("owner", "plan").filter(
        status=AccountStatus.ACTIVE
    )
    return sum(notify_account(account) for account in accounts)
