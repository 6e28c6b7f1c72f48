"""Template filters of the security app."""

from django import template

from security.user_sessions import describe_user_agent

register = template.Library()


@register.filter
def client_summary(user_agent: str) -> str:
    """'Firefox 128 · Windows 10' for a raw user agent (the full one is on the detail page)."""
    parts = describe_user_agent(user_agent)
    return " · ".join(
        value for value in (parts["browser"], parts["os"]) if value and value != "Other"
    )
