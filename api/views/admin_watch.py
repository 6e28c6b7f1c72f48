"""Administrators' watch: drift reports, alert rules and events, the audit log (and CSV).

The same queries and services as the admin pages: the drift check runs on a worker like the
page's button, alert rules are edited through the page's form, the audit filters are the
timeline's form.
"""

from __future__ import annotations

from django.db.models import Count
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.forms import ConfirmNameForm
from api import admin_serializers as a
from api import dns_serializers as d
from api import serializers as s
from api.form_input import body_of, validated
from api.permissions import token_of
from api.views.base import ApiViewSet, RetrieveWithETag, accepted, accepted_job
from monitoring import services as monitoring_services
from monitoring.forms import AlertRuleForm
from monitoring.models import AlertEvent, AlertRule
from panel.errors import Forbidden
from provisioning.databases import drift_actions
from provisioning.dns import drift as dns_drift
from provisioning.dns.models import Zone
from provisioning.engine import dispatch
from provisioning.engine.models import DriftFinding, DriftReport
from provisioning.exceptions import BusyResource
from security import sudo
from security.forms import AuditFilterForm
from security.models import AuditEvent
from security.views import audit as audit_pages


class CsvText(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode() if isinstance(data, str) else b""


class AdminDriftReportViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    """Drift reports, newest first; one report with its findings; POST runs a new check."""

    scope_kind = "admin"
    queryset = DriftReport.objects.none()

    def get_base_queryset(self):
        if self.action == "retrieve":
            return DriftReport.objects.prefetch_related("findings__server")
        return DriftReport.objects.annotate(finding_count=Count("findings"))

    def get_serializer_class(self):
        return a.DriftReportDetail if self.action == "retrieve" else a.DriftReportSerializer

    @extend_schema(request=None, responses={202: a.DriftStarted})
    def create(self, request):
        dispatch.start_drift_check(request.user.pk)  # broker unreachable: 503 queue_unavailable
        reports = reverse("api:admin-drift-report-list", request=request)
        body = {
            "detail": "The drift check is running; its report appears here.",
            "reports": reports,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": reports})


def _job_accepted(request, job) -> Response:
    return accepted({"job": reverse("api:job-detail", args=[job.pk], request=request)})


class AdminDriftFindingViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    """One report's findings and the Drift page's fixes, each a call into the page's service:
    databases (provisioning.databases.drift_actions): adopt a stray into the account its
    prefix names, drop a stray (typed name; in a browser session also sudo), re-create a
    missing database; DNS zones (provisioning.dns.drift): re-apply the panel's revision or
    import the server's state as a new revision. A finding the fix does not fit is a 409."""

    scope_kind = "admin"
    serializer_class = a.FindingSerializer
    queryset = DriftFinding.objects.none()
    filter_fields = {"kind": "kind", "server": "server_id"}

    def get_base_queryset(self):
        findings = DriftFinding.objects.filter(report_id=self.kwargs["report_pk"])
        return findings.select_related("server", "account")

    def _zone(self, finding: DriftFinding) -> Zone:
        zone = Zone.objects.filter(pk=finding.resource_id).first()
        if finding.kind != "dns_zone" or zone is None:
            raise BusyResource("This finding is not a drifted zone of the panel.")
        return zone

    @extend_schema(request=None, responses={202: s.Accepted})
    @action(detail=True, methods=["post"])
    def adopt(self, request, report_pk=None, pk=None):
        """Adopt a stray database into the account its prefix names (a job)."""
        db = drift_actions.adopt_stray(self.get_object(), actor=request.user)
        return accepted_job(request, db)

    @extend_schema(request=a.DropConfirmation, responses={202: s.Accepted})
    @action(detail=True, methods=["post"])
    def drop(self, request, report_pk=None, pk=None):
        """Drop a stray database or role from its server: `confirm` is its name, typed."""
        finding = self.get_object()
        if token_of(request) is None and not sudo.is_active(request):
            raise Forbidden("Confirm your password in the panel first.", code="sudo_required")
        validated(ConfirmNameForm(body_of(request), expected=finding.resource_label))
        return _job_accepted(request, drift_actions.drop_stray(finding, actor=request.user))

    @extend_schema(request=None, responses={202: s.Accepted})
    @action(detail=True, methods=["post"])
    def recreate(self, request, report_pk=None, pk=None):
        """Create a database the server lost again (a job)."""
        job = drift_actions.recreate_missing(self.get_object(), actor=request.user)
        return _job_accepted(request, job)

    @extend_schema(request=None, responses={202: d.ChangeAccepted})
    @action(detail=True, methods=["post"])
    def reapply(self, request, report_pk=None, pk=None):
        """Put the panel's latest revision of a drifted zone back on its server (a job)."""
        zone = self._zone(self.get_object())
        revision = dns_drift.reapply(zone, actor=request.user)
        return accepted_job(request, zone, _zone_and_revision(zone, revision))

    @extend_schema(request=None, responses={200: a.ServerStateImported})
    @action(detail=True, methods=["post"], url_path="import")
    def import_server_state(self, request, report_pk=None, pk=None):
        """Record what the server serves as the zone's new revision (nothing is sent)."""
        zone = self._zone(self.get_object())
        revision = dns_drift.adopt(zone, actor=request.user)
        return Response(_zone_and_revision(zone, revision))


def _zone_and_revision(zone: Zone, revision) -> dict:
    zone.refresh_from_db()
    revision.refresh_from_db()
    return {"zone": d.ZoneSerializer(zone).data, "revision": d.RevisionSerializer(revision).data}


class AdminAlertRuleViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    scope_kind = "admin"
    serializer_class = a.AlertRuleSerializer
    queryset = AlertRule.objects.none()
    http_method_names = ["get", "patch", "head", "options"]

    def get_base_queryset(self):
        return AlertRule.objects.all()

    @extend_schema(request=a.AlertRuleSerializer, responses={200: a.AlertRuleSerializer})
    def partial_update(self, request, pk=None):
        rule = self.get_object()
        form = AlertRuleForm(instance=rule)
        current = {name: getattr(rule, name) for name in form.fields}
        form = validated(AlertRuleForm(current | body_of(request), instance=rule))
        rule = monitoring_services.update_alert_rule(form, actor=request.user)
        return Response(a.AlertRuleSerializer(rule).data)


class AdminAlertEventViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    """Alert events, newest first; `?open=true` for those still open."""

    scope_kind = "admin"
    serializer_class = a.AlertEventSerializer
    queryset = AlertEvent.objects.none()
    filter_fields = {"server": "server_id", "kind": "rule__kind"}

    def get_base_queryset(self):
        events = AlertEvent.objects.select_related("rule", "server")
        return events.open() if self.request.query_params.get("open") == "true" else events

    @extend_schema(parameters=[OpenApiParameter("open", OpenApiTypes.BOOL)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


AUDIT_FILTERS = [
    OpenApiParameter(name, OpenApiTypes.DATE if name in ("since", "until") else OpenApiTypes.STR)
    for name in AuditFilterForm.base_fields
]


class AdminAuditEventViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    """The whole audit log with the timeline's filters, and the same as CSV."""

    scope_kind = "admin"
    serializer_class = s.AuditEventSerializer
    queryset = AuditEvent.objects.none()

    def get_base_queryset(self):
        form, events = audit_pages.filtered_events(self.request)
        if form.is_bound:
            validated(form)
        return events

    @extend_schema(parameters=AUDIT_FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=AUDIT_FILTERS, responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"], renderer_classes=[CsvText])
    def export(self, request):
        """The filtered events as CSV (formulas neutralised), streamed."""
        self.get_base_queryset()  # invalid filters: a 400 problem before anything streams
        return audit_pages.audit_export(request._request)
