"""Administrators: every email the panel sent or still tries to send."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import admin_required
from outbox import services
from outbox.choices import State
from outbox.models import Message
from panel.pagination import paginate, querystring_without_page


@admin_required
def message_list(request):
    state = request.GET.get("state", "")
    rows = Message.objects.only(
        "kind", "to", "subject", "state", "attempts", "last_error", "created_at", "sent_at"
    )
    if state in State.values:
        rows = rows.filter(state=state)
    context = {
        "page": paginate(request, rows),
        "state": state,
        "states": State.choices,
        "qs": querystring_without_page(request),
    }
    return render(request, "outbox/message_list.html", context)


@admin_required
@require_POST
def message_resend(request, pk: int):
    message = get_object_or_404(Message, pk=pk, state=State.FAILED)
    services.resend(message, actor=request.user, request=request)
    messages.success(request, f"The email to {', '.join(message.to)} is queued again.")
    return redirect("outbox:message_list")
