"""Rate limits per token (or logged-in user) and per client IP, in the panel's Redis windows."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from api.permissions import token_of
from panel.client_ip import client_ip
from security.throttle import SlidingWindow


class _WindowThrottle(BaseThrottle):
    scope = ""

    def window(self) -> SlidingWindow:
        limit, seconds = settings.API_RATE_LIMITS[self.scope]
        return SlidingWindow(f"api-{self.scope}", limit, seconds)

    def ident(self, request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        ident = self.ident(request)
        if ident is None:
            return True
        self._window, self._ident = self.window(), ident
        if self._window.blocked(ident):
            return False
        self._window.hit(ident)
        return True

    def wait(self) -> float:
        return float(self._window.retry_after(self._ident))


class PerCredentialThrottle(_WindowThrottle):
    scope = "credential"

    def ident(self, request) -> str | None:
        token = token_of(request)
        if token is not None:
            return f"token:{token.pk}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return None


class PerAddressThrottle(_WindowThrottle):
    scope = "address"

    def ident(self, request) -> str | None:
        return client_ip(request) or "unknown"
