"""Access helpers: one per object type, scoped at the source, 404 for another owner's object."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts.models import HostingAccount


def admin_required(view):
    """Panel staff only; customers get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated or not request.user.is_admin:
            raise PermissionDenied("This page is for administrators.")
        return view(request, *args, **kwargs)

    return wrapper


def customer_required(view):
    """Customers with a hosting account only; admins are sent to their overview."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if getattr(request.user, "hosting_account", None) is None:
            raise PermissionDenied("This page is for hosting customers.")
        return view(request, *args, **kwargs)

    return wrapper


def get_account_for_user(request, pk: int) -> HostingAccount:
    queryset = HostingAccount.objects.for_user(request.user).select_related("plan", "owner")
    return get_object_or_404(queryset, pk=pk)
