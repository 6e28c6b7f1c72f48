"""Pages behind a login are never stored by browsers or proxies (`Cache-Control: no-store`).

Several pages show a secret exactly once (a generated database or customer password, backup
codes, an agent key, an enrolment token); a cached copy would show it again to whoever opens
the browser's history or shares the proxy. Rather than remembering a decorator on each of
those views, every answer to a signed-in user is marked, and views that chose stricter
headers themselves (`never_cache`) keep theirs.
"""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers


class PrivateNoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if "no-store" not in response.get("Cache-Control", ""):
                response.headers.pop("Cache-Control", None)  # stricter, not merged
                add_never_cache_headers(response)
        return response
