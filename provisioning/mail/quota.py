"""The plan's mail quotas: domains, mailboxes and the mailboxes' summed quota (MB)."""

from __future__ import annotations

from django.db.models import Sum


def mail_domains_used(account) -> int:
    from provisioning.mail.models import MailDomain

    return MailDomain.objects.filter(account=account).counting_quota().count()


def mailboxes_used(account) -> int:
    from provisioning.mail.models import Mailbox

    return Mailbox.objects.filter(domain__account=account).counting_quota().count()


def mail_quota_used_mb(account, *, exclude: int | None = None) -> int:
    from provisioning.mail.models import Mailbox

    rows = Mailbox.objects.filter(domain__account=account).counting_quota()
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return rows.aggregate(total=Sum("quota_mb"))["total"] or 0
