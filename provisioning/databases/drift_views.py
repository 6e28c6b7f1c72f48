"""Admins' actions on database drift findings: drop a stray (typed name, sudo), re-create."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import admin_required
from accounts.forms import ConfirmNameForm
from provisioning.databases import drift_actions
from provisioning.engine.models import DriftFinding
from provisioning.exceptions import ProvisioningError
from provisioning.ui import form_error, toast_error
from security import sudo


@admin_required
def drift_drop(request, pk: int):
    finding = get_object_or_404(DriftFinding.objects.select_related("server", "account"), pk=pk)
    if not sudo.is_active(request):
        return sudo.ask_password(request)
    posted = request.POST if request.method == "POST" else None
    form = ConfirmNameForm(posted, expected=finding.resource_label)
    if request.method == "POST" and form.is_valid():
        try:
            drift_actions.drop_stray(finding, actor=request.user)
        except ProvisioningError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"{finding.resource_label} is being dropped.")
            return redirect("provisioning:drift")
    context = {"finding": finding, "form": form}
    return render(request, "provisioning/drift_drop.html", context)


@admin_required
@require_POST
def drift_recreate(request, pk: int):
    finding = get_object_or_404(DriftFinding, pk=pk)
    try:
        drift_actions.recreate_missing(finding, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    else:
        messages.success(request, f"{finding.resource_label} is being created again.")
    return redirect("provisioning:drift")


@admin_required
@require_POST
def drift_adopt(request, pk: int):
    finding = get_object_or_404(DriftFinding, pk=pk)
    try:
        db = drift_actions.adopt_stray(finding, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    else:
        messages.success(request, f"{db.name} is being adopted into {db.account.name}.")
    return redirect("provisioning:drift")
