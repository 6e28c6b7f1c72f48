"""The password confirmation page of sudo mode."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from panel import errors
from security import audit, lockout, sudo
from security.exceptions import RateLimited
from security.forms import SudoForm
from security.redirects import safe_next_url


def _lockout(request) -> RateLimited | None:
    try:
        lockout.check_login_allowed(request, request.user.email)
    except RateLimited as exc:
        return exc
    return None


@never_cache
@sensitive_post_parameters("password")
def confirm_password(request):
    next_url = safe_next_url(request, request.POST.get("next") or request.GET.get("next"))
    # Wrong passwords here count like failed logins: a stolen session cannot guess on.
    locked = _lockout(request)
    # While locked the form stays unbound: a bound one would still say whether it was right.
    form = SudoForm(None if locked else request.POST or None, user=request.user)
    if request.method == "POST" and not locked:
        if form.is_valid():
            sudo.grant(request)
            audit.record(request, "auth.sudo_granted", target=request.user)
            return redirect(next_url)
        lockout.record_login_failure(request, request.user.email)
        audit.record(request, "auth.sudo_failed", target=request.user)
    context = {"form": form, "next": next_url, "locked": str(locked) if locked else ""}
    return errors.apply(render(request, "security/sudo.html", context), locked)
