"""Administrators' pages: servers, all databases, jobs, drift."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import admin_required
from panel.pagination import paginate, querystring_without_page
from provisioning.choices import JobState, ResourceState
from provisioning.exceptions import ProvisioningError
from provisioning.forms import ServerForm
from provisioning.models import Database, DriftFinding, DriftReport, ProvisioningJob, Server
from provisioning.services import jobs as job_services
from provisioning.services import servers as server_services
from provisioning.views.common import form_error, render_page_or_fragment, toast_error


@admin_required
def server_list(request):
    servers = Server.objects.all().order_by("status", "name")
    return render(request, "provisioning/server_list.html", {"page": paginate(request, servers)})


@admin_required
def server_form(request, pk: int | None = None):
    server = get_object_or_404(Server, pk=pk) if pk else Server()
    form = ServerForm(request.POST or None, instance=server)
    if request.method == "POST" and form.is_valid():
        try:
            server = server_services.save_server(
                form.save(commit=False),
                database=form.database_settings(),
                password=form.cleaned_data["db_password"] or None,
                actor=request.user,
            )
        except ProvisioningError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Server {server.name} saved. Test its connection next.")
            return redirect("provisioning:server_list")
    return render(request, "provisioning/server_form.html", {"form": form, "server": server})


@admin_required
@require_POST
def server_test(request, pk: int):
    server = get_object_or_404(Server, pk=pk)
    ok, message = server_services.test_server(server, actor=request.user)
    (messages.success if ok else messages.error)(request, f"{server.name}: {message}")
    return redirect("provisioning:server_list")


@admin_required
@require_POST
def server_retire(request, pk: int):
    server = get_object_or_404(Server, pk=pk)
    try:
        server_services.retire_server(server, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    else:
        messages.success(request, f"{server.name} is retired: no new resources go there.")
    return redirect("provisioning:server_list")


@admin_required
def database_overview(request):
    queryset = Database.objects.select_related("account", "server").order_by("name")
    server_id, state = request.GET.get("server", ""), request.GET.get("state", "")
    if server_id.isdigit():
        queryset = queryset.filter(server_id=int(server_id))
    if state in ResourceState.values:
        queryset = queryset.filter(state=state)
    context = {
        "page": paginate(request, queryset),
        "servers": Server.objects.order_by("name"),
        "states": ResourceState.choices,
        "server_id": server_id,
        "state": state,
        "qs": querystring_without_page(request),
    }
    return render(request, "provisioning/admin_databases.html", context)


@admin_required
def job_list(request):
    queryset = ProvisioningJob.objects.select_related("server", "account")
    state = request.GET.get("state", "")
    if state in JobState.values:
        queryset = queryset.filter(state=state)
    context = {
        "page": paginate(request, queryset),
        "states": JobState.choices,
        "state": state,
        "qs": querystring_without_page(request),
    }
    return render(request, "provisioning/job_list.html", context)


@admin_required
def job_detail(request, pk: int):
    job = get_object_or_404(
        ProvisioningJob.objects.select_related("server", "account", "created_by"), pk=pk
    )
    if request.htmx and job.is_finished:  # a polling page: reload once with the final state
        return HttpResponse(headers={"HX-Refresh": "true"})
    context = {
        "job": job,
        "steps": job.steps.all(),
        "can_retry": job_services.can_retry(job),
        "can_rollback": job_services.can_rollback(job),
    }
    return render_page_or_fragment(
        request, "provisioning/job_detail.html", "provisioning/_job_state.html", context
    )


@admin_required
@require_POST
def job_action(request, pk: int, action: str):
    job = get_object_or_404(ProvisioningJob, pk=pk)
    service = {"retry": job_services.retry_job, "rollback": job_services.rollback_job}[action]
    try:
        service(job, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    else:
        messages.success(request, f"Job #{job.pk}: {action} scheduled.")
    return redirect("provisioning:job_detail", pk=pk)


@admin_required
def drift(request):
    report = DriftReport.objects.select_related("requested_by").first()
    findings = report.findings.select_related("server") if report else DriftFinding.objects.none()
    context = {"report": report, "page": paginate(request, findings)}
    return render(request, "provisioning/drift.html", context)


@admin_required
@require_POST
def drift_run(request):
    from provisioning.tasks import drift_check

    actor_id = request.user.pk
    transaction.on_commit(lambda: drift_check.delay(actor_id))
    messages.success(request, "Drift check started; refresh in a moment for the results.")
    return redirect("provisioning:drift")
