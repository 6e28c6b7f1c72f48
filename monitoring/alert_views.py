"""Alert pages (administrators only): events and the rules that open them."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.access import admin_required
from monitoring import services
from monitoring.access import get_rule_for_admin
from monitoring.forms import AlertRuleForm
from monitoring.models import AlertEvent, AlertRule
from panel.pagination import paginate, querystring_without_page


@admin_required
@require_GET
def event_list(request):
    show = request.GET.get("show", "open")
    events = AlertEvent.objects.select_related("rule", "server").order_by("-opened_at")
    if show != "all":
        show = "open"
        events = events.open()
    page = paginate(request, events)
    return render(
        request,
        "monitoring/alert_list.html",
        {"page": page, "show": show, "qs": querystring_without_page(request)},
    )


@admin_required
@require_GET
def rule_list(request):
    return render(request, "monitoring/rule_list.html", {"rules": AlertRule.objects.all()})


@admin_required
def rule_edit(request, pk: int):
    rule = get_rule_for_admin(request, pk)
    form = AlertRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        services.update_alert_rule(form, actor=request.user)
        messages.success(request, f"Rule “{rule.name}” saved.")
        return redirect("monitoring:rule_list")
    return render(request, "monitoring/rule_form.html", {"form": form, "rule": rule})
