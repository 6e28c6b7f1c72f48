"""Session liveness and the administrators' 2FA requirement. Neither queries on a normal request."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django_otp import DEVICE_ID_SESSION_KEY

from security import audit, session_limits, user_sessions

# What an administrator without 2FA may still reach: the wizard itself and the way out.
ENROLMENT_URL_NAMES = {"security:two_factor_setup", "accounts:logout"}


class SessionActivityMiddleware:
    """Ends sessions idle or older than their limit (security/session_limits.py), notes last
    activity (at most once a minute) and ends sessions revoked meanwhile.

    Revoking deletes the session from the store, so the next request is already anonymous;
    this check also catches a revocation that raced with that request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            return self.get_response(request)
        if reason := session_limits.check(request):
            audit.record(request, "auth.session_expired", target=request.user, reason=reason)
            user_sessions.end_session(request)
            logout(request)
            messages.warning(request, reason)
            return redirect_to_login(request.get_full_path())
        if not user_sessions.touch(request):
            logout(request)
            messages.warning(request, "Your session was ended. Log in again.")
            return redirect("accounts:login")
        return self.get_response(request)


class AdminTwoFactorMiddleware:
    """An administrator whose session has no verified device goes to the setup wizard first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.is_admin
            and not request.session.get(DEVICE_ID_SESSION_KEY)
            and not self._allowed(request)
        ):
            if request.headers.get("HX-Request") == "true":
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("security:two_factor_setup")
                return response
            messages.info(request, "Administrators must set up two-factor authentication first.")
            return redirect("security:two_factor_setup")
        return self.get_response(request)

    @staticmethod
    def _allowed(request) -> bool:
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in ENROLMENT_URL_NAMES
