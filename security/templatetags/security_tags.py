"""Template filters of the security app."""

from django import template

from security import audit_words
from security.user_sessions import describe_user_agent

register = template.Library()


@register.filter
def client_summary(user_agent: str) -> str:
    """'Firefox 128 · Windows 10' for a raw user agent (the full one is on the detail page)."""
    parts = describe_user_agent(user_agent)
    return " · ".join(
        value for value in (parts["browser"], parts["os"]) if value and value != "Other"
    )


@register.filter
def action_words(code: str) -> str:
    """An audit action in words ('auth.2fa_enabled' -> 'Two-factor authentication turned on')."""
    return audit_words.action_words(code)


@register.filter
def target_words(label: str) -> str:
    """A model label in words ('provisioning.database' -> 'database')."""
    return audit_words.target_words(label)


@register.filter
def code_words(code: str) -> str:
    """Any dotted code in words ('database.role_add' -> 'Database role add')."""
    return audit_words.humanize_code(code)
