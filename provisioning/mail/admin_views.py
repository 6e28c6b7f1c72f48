"""Administrators' mail pages: every domain and mailbox, suspending, and the drift check."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import admin_required
from panel.pagination import paginate
from provisioning.exceptions import ProvisioningError
from provisioning.mail import drift, mailboxes
from provisioning.mail.models import Mailbox, MailDomain
from provisioning.ui import toast_error
from security import audit


@admin_required
def admin_domains(request):
    rows = MailDomain.objects.select_related("account", "server").order_by("name")
    return render(request, "mail/admin_domains.html", {"page": paginate(request, rows)})


@admin_required
def admin_mailboxes(request):
    rows = Mailbox.objects.select_related("domain__account").order_by("address")
    query = request.GET.get("q", "").strip()
    if query:
        rows = rows.filter(address__icontains=query)
    return render(
        request, "mail/admin_mailboxes.html", {"page": paginate(request, rows), "q": query}
    )


@admin_required
@require_POST
def admin_suspend(request, pk: int):
    box = get_object_or_404(Mailbox, pk=pk)
    suspend = request.POST.get("suspend") == "on"
    try:
        mailboxes.set_suspended(box, suspend, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    else:
        messages.success(request, f"{box} is being {'suspended' if suspend else 'reactivated'}.")
    return redirect("mail:admin_mailboxes")


@admin_required
def admin_drift(request):
    found = drift.report() if request.method == "POST" else None
    if found is not None:
        audit.record(request, "mail.drift_checked", findings=len(found))
    return render(request, "mail/admin_drift.html", {"found": found})
