"""Where a `next` parameter may send someone: this site only, never back to plain HTTP."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, url: str | None, default: str = "/") -> str:
    """URL when it points at this host (with the request's scheme or better), else DEFAULT."""
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else default
