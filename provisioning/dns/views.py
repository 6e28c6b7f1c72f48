"""Customers' zone pages: list, create, the zone page (records inline, htmx), delete."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import admin_required, customer_required
from accounts.usage import usage_for
from panel.pagination import paginate, querystring_without_page
from provisioning.dns import drift, services
from provisioning.dns.access import get_record_for_user, get_revision_for_user, get_zone_for_user
from provisioning.dns.content import friendly
from provisioning.dns.forms import RecordFilterForm, RecordForm, ZoneCreateForm
from provisioning.dns.models import Zone
from provisioning.dns.names import relative
from provisioning.engine.models import ProvisioningJob
from provisioning.exceptions import ProvisioningError
from provisioning.ui import confirm_delete, form_error, posted, render_live_list, toast_error
from security.verification import require_verified_email


@customer_required
def zone_list(request):
    account = request.user.hosting_account
    context = {
        "page": paginate(request, Zone.objects.for_user(request.user).order_by("name")),
        "usage": usage_for(account, keys=("dns_zones",)),
    }
    return render_live_list(request, "dns/zone_list.html", "dns/_zone_rows.html", context)


@customer_required
@require_verified_email
def zone_create(request):
    account = request.user.hosting_account
    form = ZoneCreateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            zone = services.create_zone(
                account,
                form.cleaned_data["name"],
                template=form.cleaned_data["template"] or "",
                actor=request.user,
            )
        except ProvisioningError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"{zone} is being set up.")
            return redirect("dns:zone_detail", pk=zone.pk)
    return render(request, "dns/zone_form.html", {"form": form})


def _rows(request, zone: Zone, filters: RecordFilterForm):
    """The page of records asked for (filtered), each with its name and value as shown."""
    records = zone.records.all()
    if filters.is_valid():
        if filters.cleaned_data["type"]:
            records = records.filter(type=filters.cleaned_data["type"])
        if filters.cleaned_data["name"]:
            records = records.filter(name__icontains=filters.cleaned_data["name"].strip().lower())
    page = paginate(request, records)
    page.rows = [
        {
            "record": record,
            "name": relative(record.name, zone.name),
            "value": friendly(record.type, record.content),
        }
        for record in page.object_list
    ]
    return page


def _zone_context(request, zone: Zone, **extra) -> dict:
    filters = RecordFilterForm(request.GET or None)
    return {
        "zone": zone,
        "page": _rows(request, zone, filters),
        "qs": querystring_without_page(request),
        "filters": filters,
        "staged": services.staged_changes(zone),
        "form": RecordForm(),
        "revisions": zone.revisions.select_related("created_by")[:20],
        "secondaries": zone.secondaries.select_related("server"),
        "job": ProvisioningJob.objects.for_resource(zone).prefetch_related("steps").first(),
        **extra,
    }


def zone_detail(request, pk: int):
    if request.htmx and not Zone.objects.for_user(request.user).filter(pk=pk).exists():
        return HttpResponse(headers={"HX-Redirect": reverse("dns:zone_list")})
    zone = get_zone_for_user(request, pk)
    if request.htmx and request.GET.get("poll") and not zone.is_busy:
        return HttpResponse(headers={"HX-Refresh": "true"})
    template = "dns/_zone_state.html" if request.GET.get("poll") else "dns/zone_detail.html"
    if request.htmx and not request.GET.get("poll"):
        template = "dns/_records.html"
    return render(request, template, _zone_context(request, zone))


def _records_answer(request, zone: Zone, form: RecordForm | None = None):
    """The records partial for htmx (errors included, so 200), else the page (422 on errors)."""
    context = _zone_context(request, zone)
    if form is not None:
        context["form"] = form
    if request.htmx:
        response = render(request, "dns/_records.html", context)
        response["HX-Retarget"], response["HX-Reswap"] = "#records", "outerHTML"
        return response
    if form is not None and form.errors:
        return render(request, "dns/zone_detail.html", context, status=422)
    return redirect("dns:zone_detail", pk=zone.pk)


def _record_error(form: RecordForm, exc: ProvisioningError) -> None:
    issues = getattr(exc, "issues", None)
    if not issues:
        form_error(form, exc)
        return
    for issue in issues:
        form.add_error(issue.field if issue.field in form.fields else None, issue.message)


@require_POST
@require_verified_email
def record_add(request, pk: int):
    zone = get_zone_for_user(request, pk)
    form = RecordForm(request.POST)
    if form.is_valid():
        try:
            services.add_record(zone, form.as_input(), actor=request.user)
        except ProvisioningError as exc:
            _record_error(form, exc)
        else:
            return _records_answer(request, zone)
    return _records_answer(request, zone, form)


def record_edit(request, pk: int, record_pk: int):
    record = get_record_for_user(request, pk, record_pk)
    zone = record.zone
    initial = {
        "name": relative(record.name, zone.name),
        "type": record.type,
        "ttl": record.ttl,
        "value": friendly(record.type, record.content),
    }
    form = RecordForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_record(record, form.as_input(), actor=request.user)
        except ProvisioningError as exc:
            _record_error(form, exc)
        else:
            return _records_answer(request, zone)
    status = 422 if form.errors and not request.htmx else 200
    context = {"zone": zone, "record": record, "form": form}
    template = "dns/_record_edit.html" if request.htmx else "dns/record_edit.html"
    return render(request, template, context, status=status)


@require_POST
def record_delete(request, pk: int, record_pk: int):
    record = get_record_for_user(request, pk, record_pk)
    try:
        services.delete_record(record, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    return _records_answer(request, record.zone)


@require_POST
def zone_apply(request, pk: int):
    zone = get_zone_for_user(request, pk)
    try:
        revision = services.apply_changes(zone, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    else:
        messages.success(request, f"Change #{revision.number} is being applied.")
    return redirect("dns:zone_detail", pk=zone.pk)


@require_POST
def zone_discard(request, pk: int):
    zone = get_zone_for_user(request, pk)
    try:
        services.discard_changes(zone, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    return redirect("dns:zone_detail", pk=zone.pk)


@require_POST
def revision_revert(request, pk: int, number: int):
    revision = get_revision_for_user(request, pk, number)
    try:
        new = services.revert_to(revision.zone, revision, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    else:
        messages.success(request, f"Reverting to #{number} as change #{new.number}.")
    return redirect("dns:zone_detail", pk=pk)


def zone_delete(request, pk: int):
    zone = get_zone_for_user(request, pk)
    return confirm_delete(
        request,
        expected=zone.display_name,
        delete=lambda: services.delete_zone(zone, actor=request.user),
        success=f"{zone} is being deleted.",
        done=reverse("dns:zone_detail", args=[zone.pk]),
        template="dns/zone_delete.html",
        context={"zone": zone},
    )


@require_POST
def zone_dnssec(request, pk: int):
    zone = get_zone_for_user(request, pk)
    enable = request.POST.get("enable") == "on"
    try:
        services.set_dnssec(zone, enable, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    else:
        messages.success(request, f"DNSSEC is being turned {'on' if enable else 'off'}.")
    return redirect("dns:zone_detail", pk=zone.pk)


@admin_required
def admin_drift(request):
    drifts, found = drift.report()
    return render(request, "dns/admin_drift.html", {"drifts": drifts, "strays": found})


@admin_required
@require_POST
def admin_drift_fix(request, pk: int):
    zone = get_zone_for_user(request, pk)
    action = request.POST.get("action")
    try:
        if action == "reapply":
            revision = drift.reapply(zone, actor=request.user)
        elif action == "adopt":
            revision = drift.adopt(zone, actor=request.user)
        else:
            raise ProvisioningError("Choose re-apply or adopt.")
    except ProvisioningError as exc:
        toast_error(request, exc)
    else:
        messages.success(request, f"{zone}: revision #{revision.number} ({revision.reason}).")
    return redirect("dns:admin_drift")
