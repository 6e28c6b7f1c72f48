"""Sudo mode: destructive actions ask for the password again, then trust it for a while.

A view, after its access check (so an outsider still gets a 404), sends a user whose last
confirmation is older than SECURITY_SUDO_SECONDS to the confirmation page:
`if not sudo.is_active(request): return sudo.ask_password(request)`. The page comes back
to the same URL with a GET, so the view shows its confirmation form again.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

SESSION_KEY = "_sudo_until"


def is_active(request) -> bool:
    return request.session.get(SESSION_KEY, 0) > time.time()


def grant(request) -> None:
    request.session[SESSION_KEY] = time.time() + settings.SECURITY_SUDO_SECONDS


def ask_password(request):
    """The redirect to the confirmation page, which comes back here."""
    query = urlencode({"next": request.get_full_path()})
    return redirect(f"{reverse('security:sudo')}?{query}")
