"""DRF authentication: `Authorization: Bearer hth_<id>_<secret>`, or the browser session
(with CSRF enforced, by DRF's SessionAuthentication)."""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication

from api import services
from panel.client_ip import client_ip
from panel.middleware import use_credential


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not raw.strip():
            return None
        token = services.check(raw.strip(), client_ip(request))
        use_credential(token.pk)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
