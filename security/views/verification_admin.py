"""Administrators, on a customer's account page: resend the verification email, or
mark the address verified. Both audited."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from accounts.access import admin_required
from security import verification


def _back(user):
    account = getattr(user, "hosting_account", None)
    if account is not None:
        return redirect("accounts:account_detail", pk=account.pk)
    return redirect("outbox:message_list")


@admin_required
@require_POST
def resend(request, pk: int):
    user = get_object_or_404(get_user_model(), pk=pk, is_active=True)
    if user.is_verified:
        messages.info(request, f"{user.email} is already confirmed.")
    else:
        verification.send_verification(user, actor=request.user, request=request)
        messages.success(request, f"A new verification email to {user.email} is queued.")
    return _back(user)


@admin_required
@require_POST
def mark_verified(request, pk: int):
    user = get_object_or_404(get_user_model(), pk=pk, is_active=True)
    if verification.mark_verified(user, actor=request.user, request=request):
        messages.success(request, f"{user.email} is marked as confirmed.")
    return _back(user)
