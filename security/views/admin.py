"""Administrators: every user's sessions, revocable."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import admin_required
from panel.pagination import paginate, querystring_without_page
from security import user_sessions
from security.models import UserSession


@admin_required
def session_list(request):
    query = request.GET.get("user", "").strip()
    sessions = UserSession.objects.active().select_related("user")
    if query:
        sessions = sessions.filter(user__email__icontains=query)
    context = {
        "page": paginate(request, sessions.order_by("-last_activity", "-id")),
        "query": query,
        "qs": querystring_without_page(request),
        "current_session_id": user_sessions.current_id(request),
    }
    return render(request, "security/admin_sessions.html", context)


@admin_required
@require_POST
def session_revoke(request, pk: int):
    tracked = get_object_or_404(UserSession.objects.active().select_related("user"), pk=pk)
    user_sessions.revoke_session(tracked, actor=request.user, request=request)
    messages.success(request, f"{tracked.user.email}'s session on {tracked} was ended.")
    return redirect("security:admin_sessions")
