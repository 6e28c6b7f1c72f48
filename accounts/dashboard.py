"""What the dashboards show, contributed by the apps that own it.

`accounts` knows nothing of provisioning or monitoring, so those apps register sections at
start-up (AppConfig.ready): a template and a function that returns its context for the request,
or None to show nothing. The customer dashboard and the admin overview render their sections
in order after their own (quota warnings, security events, counts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accounts.usage import QuotaUsage, usage_for

CUSTOMER, ADMIN = "customer", "admin"
WARN_PERCENT, FULL_PERCENT = 80, 100
# Events a person should notice on their own account (the audit log has the rest).
SECURITY_ACTIONS = (
    "auth.new_device",
    "auth.2fa_enabled",
    "auth.2fa_disabled",
    "auth.backup_codes_generated",
    "auth.password_changed",
    "auth.password_reset",
    "auth.locked_out",
    "auth.session_revoked",
    "auth.email_verified",
    "api.credential_created",
)


@dataclass(frozen=True)
class Section:
    audience: str
    order: int
    template: str
    context: Callable[[object], dict | None]


_sections: list[Section] = []


def register_section(audience: str, order: int, template: str, context) -> None:
    if audience not in (CUSTOMER, ADMIN):
        raise ValueError(f"unknown audience {audience!r}")
    if not any(s.template == template and s.audience == audience for s in _sections):
        _sections.append(Section(audience, order, template, context))


def sections_for(request, audience: str) -> list[dict]:
    shown = []
    for section in sorted(_sections, key=lambda s: s.order):
        if section.audience != audience:
            continue
        data = section.context(request)
        if data is not None:
            shown.append({"template": section.template, "data": data})
    return shown


def level(quota: QuotaUsage) -> str:
    """'full' at 100 % and above, 'near' from 80 %, else ''."""
    if quota.limit <= 0:
        return ""  # nothing of this kind on the plan: nothing to warn about
    if quota.used * 100 >= quota.limit * FULL_PERCENT:
        return "full"
    if quota.used * 100 >= quota.limit * WARN_PERCENT:
        return "near"
    return ""


def warnings_from(usage: list[QuotaUsage]) -> list[dict]:
    """Quotas at 80 % or more, fullest first."""
    rows = [{"quota": quota, "level": level(quota)} for quota in usage]
    warned = [row for row in rows if row["level"]]
    return sorted(warned, key=lambda row: -row["quota"].percent)


def quota_warnings(account) -> list[dict]:
    return warnings_from(usage_for(account))
