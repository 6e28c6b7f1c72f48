"""The audit timeline: filtered, paginated, newest first; one event; streamed CSV."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from panel import errors
from panel.csv_export import csv_response
from panel.pagination import paginate, querystring_without_page
from security.forms import AuditFilterForm
from security.models import AuditEvent

CSV_COLUMNS = [
    "created_at",
    "action",
    "actor",
    "target_type",
    "target_id",
    "target",
    "account_id",
    "ip",
    "user_agent",
    "request_id",
    "details",
]


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_events(request):
    """(form, queryset) of the events this user may see, narrowed by the GET filters."""
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.for_user(request.user)
    if not form.is_valid():
        return form, events
    data = form.cleaned_data
    if data["actor"]:
        events = events.filter(actor_label__icontains=data["actor"])
    if data["action"]:
        events = events.filter(action__startswith=data["action"])
    if data["target"]:
        events = events.filter(
            Q(target_label__icontains=data["target"]) | Q(target_type__icontains=data["target"])
        )
    if data["since"]:
        events = events.filter(created_at__gte=_day_start(data["since"]))
    if data["until"]:
        events = events.filter(created_at__lt=_day_start(data["until"] + timedelta(days=1)))
    if data["q"]:
        text = data["q"]
        events = events.annotate(details_text=Cast("details", TextField())).filter(
            Q(action__icontains=text)
            | Q(actor_label__icontains=text)
            | Q(target_label__icontains=text)
            | Q(user_agent__icontains=text)
            | Q(details_text__icontains=text)
        )
    return form, events


def audit_list(request):
    form, events = filtered_events(request)
    context = {
        "form": form,
        "page": paginate(request, events.order_by("-created_at", "-id")),
        "qs": querystring_without_page(request),
        "filtered": bool(request.GET.dict().keys() - {"page"}),
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "security/audit_list.html", context, status=status)


def audit_detail(request, pk: int):
    event = get_object_or_404(AuditEvent.objects.for_user(request.user), pk=pk)
    return render(request, "security/audit_detail.html", {"event": event})


def _rows(events):
    for event in events.iterator(chunk_size=500):
        yield [
            event.created_at.isoformat(),
            event.action,
            event.actor_label,
            event.target_type,
            event.target_id,
            event.target_label,
            event.account_id,
            event.ip,
            event.user_agent,
            event.request_id,
            event.details,
        ]


def _first_errors(form) -> str:
    return " ".join(f"{form[name].label}: {messages[0]}" for name, messages in form.errors.items())


def audit_export(request):
    form, events = filtered_events(request)
    if form.is_bound and not form.is_valid():
        raise errors.Invalid("The filters are not valid: " + _first_errors(form))
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    rows = _rows(events.order_by("-created_at", "-id"))
    return csv_response(f"audit-{stamp}.csv", CSV_COLUMNS, rows)
