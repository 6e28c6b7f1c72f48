"""Pages reached without a full login: the second step, emailed links, password reset."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from panel import errors
from security import login_flow, passwords, tokens, twofactor, verification
from security.choices import TokenPurpose
from security.exceptions import InvalidCode, RateLimited, TokenInvalid
from security.forms import CodeForm, EmailForm
from security.redirects import safe_next_url


@login_not_required
@never_cache
@sensitive_post_parameters("code")
def login_verify(request):
    waiting = login_flow.pending(request)
    if waiting is None:
        messages.info(request, "Enter your email and password first.")
        return redirect("accounts:login")
    user, backend, next_url = waiting
    form = CodeForm(request.POST or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            device = twofactor.attempt_second_factor(request, user, form.cleaned_data["code"])
        except RateLimited as exc:
            form.add_error(None, str(exc))
            refused = exc
        except InvalidCode as exc:
            form.add_error("code", str(exc))
        else:
            login_flow.complete(request, user, backend, device)
            return redirect(safe_next_url(request, next_url))
    response = render(request, "security/login_verify.html", {"form": form})
    return errors.apply(response, refused)


def _invalid_link(request, exc: TokenInvalid, *, verification: bool = False):
    context = {"reason": str(exc), "verification": verification}
    return render(request, "security/link_invalid.html", context, status=400)


@login_not_required
@never_cache
def verify_email(request, uidb64: str, token: str):
    """GET only shows a button: mail scanners that fetch links must not use the token up."""
    try:
        if request.method != "POST":
            verification.check_link(request, uidb64, token)
            return render(request, "security/verify_email_confirm.html")
        verification.confirm_email(request, uidb64, token)
    except TokenInvalid as exc:
        return _invalid_link(request, exc, verification=True)
    messages.success(request, "Your email address is confirmed. Thank you.")
    return redirect("security:settings" if request.user.is_authenticated else "accounts:login")


@require_POST
def resend_verification(request):
    if request.user.is_verified:
        messages.info(request, "Your email address is already confirmed.")
    else:
        try:
            verification.resend_verification(request)
        except RateLimited as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"A new link is on its way to {request.user.email}.")
    return redirect("security:settings")


@login_not_required
@never_cache
def password_reset_request(request):
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            passwords.request_reset(request, form.cleaned_data["email"])
        except RateLimited as exc:
            form.add_error(None, str(exc))
            response = render(request, "security/password_reset_request.html", {"form": form})
            return errors.apply(response, exc)
        messages.info(
            request,
            "If an account uses that address, we sent it a link to choose a new password. "
            "The link works once, for 24 hours.",
        )
        return redirect("accounts:login")
    return render(request, "security/password_reset_request.html", {"form": form})


@login_not_required
@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def password_reset_confirm(request, uidb64: str, token: str):
    try:
        user = tokens.check(uidb64, token, TokenPurpose.RESET_PASSWORD).user
    except TokenInvalid as exc:
        return _invalid_link(request, exc)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            passwords.reset_password(request, uidb64, token, form.cleaned_data["new_password1"])
        except TokenInvalid as exc:
            return _invalid_link(request, exc)
        messages.success(request, "Your password was changed. Log in with the new one.")
        return redirect("accounts:login")
    return render(request, "security/password_reset_confirm.html", {"form": form})
