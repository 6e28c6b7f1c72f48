"""DNS zones, their records, change sets, import/export, revisions and DNSSEC.

Thin calls into provisioning.dns (services, transfer); every change is a job and answers 202
with its URL. Nothing here talks to PowerDNS.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

from api import admin_serializers as a
from api import dns_changes
from api import dns_serializers as d
from api.form_input import validated
from api.idempotency import idempotent
from api.permissions import may_create, restrict
from api.views.base import ApiViewSet, RetrieveWithETag, accepted_job, account_of
from panel.errors import NotFound
from provisioning.dns import services, transfer
from provisioning.dns.forms import ZoneTemplateForm
from provisioning.dns.models import Record, Zone, ZoneRevision, ZoneTemplate


class PlainText(BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode() if isinstance(data, str) else b""


def _zone_accepted(request, zone: Zone, revision: ZoneRevision | None = None) -> Response:
    zone.refresh_from_db()
    body = {"zone": d.ZoneSerializer(zone).data}
    if revision is not None:
        revision.refresh_from_db()
        body["revision"] = d.RevisionSerializer(revision).data
    return accepted_job(request, zone, body)


def _shown(key, entry) -> dict | None:
    if entry is None:
        return None
    ttl, contents = entry
    return {"name": key[0], "type": key[1], "ttl": ttl, "values": sorted(contents)}


def _preview_rrset(key, before=None, after=None) -> dict:
    name, rtype = key
    return {"name": name, "type": rtype, "before": _shown(key, before), "after": _shown(key, after)}


def _preview(summary: dict) -> dict:
    return {
        "added": [_preview_rrset(key, after=after) for key, after in summary["added"]],
        "changed": [_preview_rrset(key, b, a) for key, b, a in summary["changed"]],
        "removed": [_preview_rrset(key, before=before) for key, before in summary["removed"]],
    }


class ZoneViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    scope_kind = "dns"
    serializer_class = d.ZoneSerializer
    queryset = Zone.objects.none()
    filter_fields = {"state": "state", "name": "name"}

    def get_base_queryset(self):
        return Zone.objects.for_user(self.request.user).select_related("server", "account")

    @extend_schema(request=d.ZoneCreateSerializer, responses={202: d.ZoneAccepted})
    @idempotent
    def create(self, request):
        may_create(request, self.scope_kind)
        account = account_of(request)
        data = d.ZoneCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        zone = services.create_zone(
            account,
            data.validated_data["name"],
            template=data.validated_data.get("template", ""),
            actor=request.user,
        )
        return _zone_accepted(request, zone)

    @extend_schema(request=None, responses={202: d.ZoneAccepted})
    def destroy(self, request, pk=None):
        zone = services.delete_zone(self.get_object(), actor=request.user)
        return _zone_accepted(request, zone)

    @extend_schema(request=None, responses={200: d.RRSetList})
    @action(detail=True, methods=["get"])
    def rrsets(self, request, pk=None):
        """The zone's records grouped as rrsets (canonical values, as PowerDNS holds them)."""
        zone = self.get_object()
        staged = services.staged_changes(zone)
        body = {
            "zone": zone.name,
            "rrsets": dns_changes.rrset_list(zone.records.all()),
            "staged": bool(staged["added"] or staged["removed"]),
        }
        return Response(body)

    @extend_schema(request=d.ChangeSetSerializer, responses={202: d.ChangeAccepted})
    @action(detail=True, methods=["post"])
    @idempotent
    def changes(self, request, pk=None):
        """Replace or delete rrsets and apply the result as one change set (one job)."""
        zone = self.get_object()
        data = d.ChangeSetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = data.validated_data["rrsets"]
        revision = dns_changes.apply_change_set(zone, changes, actor=request.user)
        return _zone_accepted(request, zone, revision)

    @extend_schema(
        request=d.ImportSerializer, responses={200: d.ImportPreview, 202: d.ChangeAccepted}
    )
    @action(detail=True, methods=["post"], url_path="import")
    @idempotent
    def import_zone(self, request, pk=None):
        """A zone file: previewed (200), or applied as one change set (202)."""
        zone = self.get_object()
        data = d.ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        text = data.validated_data["text"]
        records, issues = transfer.read(zone, text)
        if issues:
            raise services.RecordsRefused(issues)
        if not data.validated_data["apply"]:
            return Response(_preview(transfer.preview(zone, records)))
        revision = transfer.apply_import(zone, text, actor=request.user, records=records)
        return _zone_accepted(request, zone, revision)

    @extend_schema(request=None, responses={(200, "text/plain"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], renderer_classes=[PlainText])
    def export(self, request, pk=None):
        """The zone as last applied, as a BIND zone file."""
        zone = self.get_object()
        response = HttpResponse(transfer.export_text(zone), content_type="text/plain")
        filename = zone.name.rstrip(".") + ".zone"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @extend_schema(methods=["GET"], request=None, responses={200: d.DnssecSerializer})
    @extend_schema(methods=["POST"], request=d.DnssecSerializer, responses={202: d.ZoneAccepted})
    @action(detail=True, methods=["get", "post"])
    def dnssec(self, request, pk=None):
        """GET: whether the zone is signed and the DS to give the registrar. POST: switch."""
        zone = self.get_object()
        if request.method == "GET":
            return Response(
                {
                    "enabled": zone.dnssec,
                    "ds_records": zone.ds_records,
                    "dnskey_records": zone.dnskey_records,
                }
            )
        data = d.DnssecSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        zone = services.set_dnssec(zone, data.validated_data["enabled"], actor=request.user)
        return _zone_accepted(request, zone)


class ZoneChildViewSet(ApiViewSet):
    """Records and revisions of one zone: another owner's zone is a 404 before anything."""

    scope_kind = "dns"

    def zone(self) -> Zone:
        zones = restrict(self.request, "dns", Zone.objects.for_user(self.request.user))
        zone = zones.select_related("server").filter(pk=self.kwargs["zone_pk"]).first()
        if zone is None:
            raise NotFound()
        return zone

    def get_queryset(self):
        self.zone()
        queryset = self.get_base_queryset()
        for param, field in self.filter_fields.items():
            value = self.request.query_params.get(param)
            if value not in (None, ""):
                queryset = queryset.filter(**{field: value})
        return queryset


class RecordViewSet(mixins.ListModelMixin, RetrieveWithETag, ZoneChildViewSet):
    """The zone's records as they stand (change them with the zone's change sets)."""

    serializer_class = d.RecordSerializer
    queryset = Record.objects.none()
    filter_fields = {"type": "type", "fqdn": "name"}

    def get_base_queryset(self):
        return Record.objects.filter(zone_id=self.kwargs["zone_pk"]).select_related("zone")


class RevisionViewSet(mixins.ListModelMixin, RetrieveWithETag, ZoneChildViewSet):
    """Every applied change set, newest first; revert makes one more change set."""

    serializer_class = d.RevisionSerializer
    queryset = ZoneRevision.objects.none()
    lookup_field = "number"
    filter_fields = {"state": "state"}

    def get_base_queryset(self):
        revisions = ZoneRevision.objects.filter(zone_id=self.kwargs["zone_pk"])
        return revisions.select_related("created_by")

    @extend_schema(request=None, responses={202: d.ChangeAccepted})
    @action(detail=True, methods=["post"])
    def revert(self, request, zone_pk=None, number=None):
        revision = self.get_object()
        zone = self.zone()
        new = services.revert_to(zone, revision, actor=request.user)
        return _zone_accepted(request, zone, new)


def _template_form_data(request, template: ZoneTemplate | None) -> dict:
    """The API's JSON bound to the page's form: records become its lines, name type value."""
    payload = request.data
    if template is not None and isinstance(payload, dict):
        # A PATCH changes what it names over the template as it is, validated whole: a
        # partial serializer would also accept records that lack a name, type or value.
        payload = {**a.ZoneTemplateSerializer(template).data, **payload}
    data = a.ZoneTemplateSerializer(template, data=payload)
    data.is_valid(raise_exception=True)
    given = data.validated_data
    return {
        "slug": given["slug"],
        "label": given["label"],
        "records_text": "\n".join(
            f"{r['name']} {r['type']} {r['value']}" for r in given.get("records", [])
        ),
    }


class AdminZoneTemplateViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    """Administrators: the zone templates customers may start a zone with (`template` on a
    zone create names one by slug). Validated by the template page's form, saved and deleted
    by the same services (audited)."""

    scope_kind = "admin"
    serializer_class = a.ZoneTemplateSerializer
    queryset = ZoneTemplate.objects.none()
    filter_fields = {"slug": "slug"}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_base_queryset(self):
        return ZoneTemplate.objects.all()

    def _save(self, request, template: ZoneTemplate | None) -> ZoneTemplate:
        form = validated(
            ZoneTemplateForm(_template_form_data(request, template), instance=template)
        )
        return services.save_template(form, actor=request.user)

    @extend_schema(request=a.ZoneTemplateSerializer, responses={201: a.ZoneTemplateSerializer})
    @idempotent
    def create(self, request):
        saved = self._save(request, None)
        return Response(a.ZoneTemplateSerializer(saved).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=a.ZoneTemplateSerializer, responses={200: a.ZoneTemplateSerializer})
    def partial_update(self, request, pk=None):
        saved = self._save(request, self.get_object())
        return Response(a.ZoneTemplateSerializer(saved).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.delete_template(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
