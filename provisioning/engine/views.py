"""Administrators' engine pages: jobs (follow, retry, roll back) and drift reports."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import admin_required
from panel.pagination import paginate, querystring_without_page
from provisioning.engine import dispatch
from provisioning.engine import services as job_services
from provisioning.engine.choices import JobState
from provisioning.engine.models import DriftFinding, DriftReport, ProvisioningJob
from provisioning.exceptions import ProvisioningError
from provisioning.ui import render_live_list, render_page_or_fragment, toast_error


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
    return render_live_list(
        request, "provisioning/job_list.html", "provisioning/_job_rows.html", context
    )


@admin_required
def job_detail(request, pk: int):
    job = get_object_or_404(
        ProvisioningJob.objects.select_related("server", "account", "created_by").prefetch_related(
            "steps__server"
        ),
        pk=pk,
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
    findings = DriftFinding.objects.none()
    if report:
        findings = report.findings.select_related("server", "account")
    context = {"report": report, "page": paginate(request, findings)}
    return render(request, "provisioning/drift.html", context)


@admin_required
@require_POST
def drift_run(request):
    dispatch.start_drift_check(request.user.pk)  # broker unreachable: a 503 page
    messages.success(request, "Drift check started; refresh in a moment for the results.")
    return redirect("provisioning:drift")
