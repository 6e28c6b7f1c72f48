"""Import a zone file (preview, then apply as one change) and export the zone."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from provisioning.dns import transfer
from provisioning.dns.access import get_zone_for_user
from provisioning.dns.forms import ImportForm
from provisioning.exceptions import ProvisioningError
from provisioning.ui import form_error
from security.verification import require_verified_email


@require_verified_email
def zone_import(request, pk: int):
    zone = get_zone_for_user(request, pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    context, status = {"zone": zone, "form": form}, 200
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        records, issues = transfer.read(zone, text)
        if issues:
            context["issues"], status = issues, 422
        elif request.POST.get("action") == "apply":
            try:
                revision = transfer.apply_import(zone, text, actor=request.user, records=records)
            except ProvisioningError as exc:
                form_error(form, exc)
                status = 422
            else:
                messages.success(
                    request, f"The import is being applied as change #{revision.number}."
                )
                return redirect("dns:zone_detail", pk=zone.pk)
        else:
            context["preview"] = transfer.preview(zone, records)
            context["text"] = text
    elif request.method == "POST":
        status = 422
    return render(request, "dns/zone_import.html", context, status=status)


def zone_export(request, pk: int):
    zone = get_zone_for_user(request, pk)
    response = HttpResponse(transfer.export_text(zone), content_type="text/plain; charset=utf-8")
    filename = zone.name.rstrip(".") + ".zone"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
