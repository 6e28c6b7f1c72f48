"""Admins manage the zone templates customers may start a zone with."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import admin_required
from provisioning.dns import services
from provisioning.dns.forms import ZoneTemplateForm
from provisioning.dns.models import ZoneTemplate


@admin_required
def template_list(request):
    return render(request, "dns/template_list.html", {"templates": ZoneTemplate.objects.all()})


@admin_required
def template_form(request, pk: int | None = None):
    template = get_object_or_404(ZoneTemplate, pk=pk) if pk else None
    form = ZoneTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        saved = services.save_template(form, actor=request.user)
        messages.success(request, f"Template {saved.label} saved.")
        return redirect("dns:template_list")
    status = 422 if form.errors else 200
    return render(request, "dns/template_form.html", {"form": form}, status=status)


@admin_required
@require_POST
def template_delete(request, pk: int):
    template = get_object_or_404(ZoneTemplate, pk=pk)
    services.delete_template(template, actor=request.user)
    messages.success(request, f"Template {template.label} deleted.")
    return redirect("dns:template_list")
