"""Usage of a hosting account against its plan's quotas.

`accounts` knows nothing of the apps that own resources, so those apps register a
counter for their quota at start-up (in their AppConfig.ready); until one does, its quota is
not shown anywhere (plans, plan form, usage bars): there is nothing behind it yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Counter = Callable[[object], int]

QUOTAS: list[tuple[str, str, str]] = [
    # key, label, plan field holding the limit
    ("databases", "Databases", "max_databases"),
    ("mail_domains", "Mail domains", "max_mail_domains"),
    ("mailboxes", "Mailboxes", "max_mailboxes"),
    ("mail_quota_mb", "Mail quota (MB)", "mail_quota_mb"),
    ("dns_zones", "DNS zones", "max_dns_zones"),
    ("disk_mb", "Disk (MB)", "disk_quota_mb"),
]
_counters: dict[str, Counter] = {}


def register_counter(key: str, counter: Counter) -> None:
    if key not in {quota[0] for quota in QUOTAS}:
        raise ValueError(f"unknown quota {key!r}")
    _counters[key] = counter


def available_quotas() -> list[tuple[str, str, str]]:
    """The quotas some app counts, i.e. those with pages behind them (plans show only these)."""
    return [quota for quota in QUOTAS if quota[0] in _counters]


@dataclass(frozen=True)
class QuotaUsage:
    key: str
    label: str
    used: int
    limit: int

    @property
    def percent(self) -> int:
        if self.limit <= 0:
            return 100
        return min(100, round(100 * self.used / self.limit))

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit


def usage_for(account, keys: tuple[str, ...] | None = None) -> list[QuotaUsage]:
    """Every counted quota of ACCOUNT's plan, or only KEYS (each counter costs a query)."""
    rows = []
    for key, label, field in available_quotas():
        if keys is not None and key not in keys:
            continue
        used = _counters[key](account)
        rows.append(QuotaUsage(key, label, used, getattr(account.plan, field)))
    return rows


def used(account, key: str) -> int:
    counter = _counters.get(key)
    return counter(account) if counter else 0
